"""Settings, all from environment variables, with the defaults documented in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.indexcache import cache_dir_from_env
from bot.knowledge.store import DEFAULT_ROOT


class SettingError(ValueError):
    """An environment variable holds something the bot cannot use; the message names it."""


def _ints(value: str) -> frozenset[int]:
    try:
        return frozenset(int(v) for v in value.replace(" ", "").split(",") if v)
    except ValueError:
        raise SettingError(f"BOT_STAFF_CHAT_IDS must be chat ids separated by commas, not {value!r}") from None


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _day(value: str) -> str:
    """BOT_DIGEST_DAY: a weekday's first three letters, or ``off``."""
    day = value.strip().lower()[:3] or "mon"
    if day not in (*_DAYS, "off"):
        raise SettingError(f"BOT_DIGEST_DAY must be a weekday (mon, tue, ... sun) or off, not {value!r}")
    return day


def _number(env, name: str, default, kind=int):
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise SettingError(f"{name} must be a {'whole ' if kind is int else ''}number, not {value!r}") from None


def _days(name: str, value: int) -> int:
    """A retention or age in days: at least one (0 or less would delete at once, or never)."""
    if value < 1:
        raise SettingError(f"{name} must be a number of days, 1 or more, not {value}")
    return value


def _hour(value: int) -> int:
    if not 0 <= value <= 23:
        raise SettingError(f"BOT_DIGEST_HOUR must be an hour from 0 to 23, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """What the bot reads from its environment (:meth:`from_env`; the README lists every variable)."""

    token: str = field(repr=False, default="")
    api_base_url: str = "https://api.telegram.org/bot"
    data_dir: Path = Path("data")
    knowledge_dir: Path = DEFAULT_ROOT
    staff_chat_ids: frozenset[int] = frozenset()
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str = field(repr=False, default="")
    prefs_key: str = field(repr=False, default="")  # HMAC key for chat preferences; empty: a key file beside them
    watch_seconds: float = 10.0
    flood_messages: int = 20
    flood_seconds: float = 60.0
    stop_seconds: float = 6.0  # on SIGTERM/SIGINT: time to answer updates already taken before keeping the rest
    retention_days: int = 180
    report_threshold: int = 5
    digest_day: str = "mon"  # the weekly digest to the staff chats: weekday, or "off"
    digest_hour: int = 9  # hour of the digest, Pakistan time (UTC+5)
    case_chat_id: int | None = None  # the staff group where cases arrive ("Ask a person"); None: cases are off
    case_retention_days: int = 90
    case_open_days: int = 14  # staff are asked to answer and close a case open this many days
    # WhatsApp Business Cloud API (bot/channels/whatsapp/): on when the first four are set.
    whatsapp_token: str = field(repr=False, default="")
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: str = field(repr=False, default="")
    whatsapp_verify_token: str = field(repr=False, default="")
    whatsapp_api_base_url: str = "https://graph.facebook.com/v25.0"  # the Graph API version is pinned here
    whatsapp_case_template: str = ""  # an approved utility template for case notices after 24 hours
    whatsapp_alert_template: str = ""  # an approved template for alerts when a fact changes; none: not offered
    whatsapp_alert_daily_limit: int = 250  # alert templates in any 24 hours: the number's messaging limit at Meta
    http_host: str = "0.0.0.0"  # the HTTP server of the WhatsApp webhook and /healthz
    http_port: int = 8080
    health_server: bool = False  # BOT_HTTP_PORT set: a Telegram bot without WhatsApp serves /healthz there too
    cache_dir: Path | None = None  # trained indexes kept between starts; None: ``cache`` under data_dir

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        e = os.environ if env is None else env
        return cls(
            token=e.get("TELEGRAM_BOT_TOKEN", ""),
            api_base_url=e.get("TELEGRAM_API_BASE_URL", cls.api_base_url),
            data_dir=Path(e.get("BOT_DATA_DIR", "data")),
            knowledge_dir=Path(e.get("BOT_KNOWLEDGE_DIR", str(DEFAULT_ROOT))),
            staff_chat_ids=_ints(e.get("BOT_STAFF_CHAT_IDS", "")),
            webhook_listen=e.get("BOT_WEBHOOK_LISTEN", cls.webhook_listen),
            webhook_port=_number(e, "BOT_WEBHOOK_PORT", cls.webhook_port),
            webhook_secret=e.get("BOT_WEBHOOK_SECRET", ""),
            prefs_key=e.get("BOT_PREFS_KEY", ""),
            watch_seconds=_number(e, "BOT_WATCH_SECONDS", cls.watch_seconds, float),
            flood_messages=_number(e, "BOT_FLOOD_MESSAGES", cls.flood_messages),
            flood_seconds=_number(e, "BOT_FLOOD_SECONDS", cls.flood_seconds, float),
            stop_seconds=_number(e, "BOT_STOP_SECONDS", cls.stop_seconds, float),
            retention_days=_days("BOT_RETENTION_DAYS", _number(e, "BOT_RETENTION_DAYS", cls.retention_days)),
            report_threshold=_number(e, "BOT_REPORT_THRESHOLD", cls.report_threshold),
            digest_day=_day(e.get("BOT_DIGEST_DAY", cls.digest_day)),
            digest_hour=_hour(_number(e, "BOT_DIGEST_HOUR", cls.digest_hour)),
            case_chat_id=_number(e, "BOT_CASE_CHAT_ID", None),
            case_retention_days=_days("BOT_CASE_RETENTION_DAYS",
                                      _number(e, "BOT_CASE_RETENTION_DAYS", cls.case_retention_days)),
            case_open_days=_days("BOT_CASE_OPEN_DAYS", _number(e, "BOT_CASE_OPEN_DAYS", cls.case_open_days)),
            whatsapp_token=e.get("WHATSAPP_ACCESS_TOKEN", ""),
            whatsapp_phone_number_id=e.get("WHATSAPP_PHONE_NUMBER_ID", "").strip(),
            whatsapp_app_secret=e.get("WHATSAPP_APP_SECRET", ""),
            whatsapp_verify_token=e.get("WHATSAPP_VERIFY_TOKEN", ""),
            whatsapp_api_base_url=(e.get("WHATSAPP_API_BASE_URL", "").strip().rstrip("/") or cls.whatsapp_api_base_url),
            whatsapp_case_template=e.get("WHATSAPP_CASE_TEMPLATE", "").strip(),
            whatsapp_alert_template=e.get("WHATSAPP_ALERT_TEMPLATE", "").strip(),
            whatsapp_alert_daily_limit=_number(e, "WHATSAPP_ALERT_DAILY_LIMIT", cls.whatsapp_alert_daily_limit),
            http_host=e.get("BOT_HTTP_HOST", "").strip() or cls.http_host,
            http_port=_number(e, "BOT_HTTP_PORT", cls.http_port),
            health_server=bool(e.get("BOT_HTTP_PORT", "").strip()),
            cache_dir=cache_dir_from_env(e),
        )

    @property
    def whatsapp_configured(self) -> bool:
        """WhatsApp runs when its token, number id, app secret and verify token are all set."""
        return all((self.whatsapp_token, self.whatsapp_phone_number_id, self.whatsapp_app_secret,
                    self.whatsapp_verify_token))

    @property
    def whatsapp_alerts(self) -> bool:
        """WhatsApp workers may follow a fact: WhatsApp runs, an approved alert template is set, and a Telegram
        staff chat is there to press Send (WhatsApp only lets the bot start a conversation with a template)."""
        return bool(self.whatsapp_configured and self.whatsapp_alert_template and self.token and self.staff_chat_ids)

    @property
    def whatsapp_missing(self) -> list[str]:
        """The WhatsApp settings still unset when some are set (a half configuration is an error at start)."""
        values = {"WHATSAPP_ACCESS_TOKEN": self.whatsapp_token, "WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
                  "WHATSAPP_APP_SECRET": self.whatsapp_app_secret, "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token}
        return [name for name, value in values.items() if not value] if any(values.values()) else []

    @property
    def index_cache_dir(self) -> Path:
        """Where the knowledge store keeps its trained indexes (safe to delete: they are built again)."""
        return self.cache_dir or self.data_dir / "cache"

    @property
    def prefs_path(self) -> Path:
        return self.data_dir / "preferences.sqlite3"

    @property
    def cases_path(self) -> Path:
        return self.data_dir / "cases.sqlite3"

    @property
    def alerts_path(self) -> Path:
        """Subscriptions to fact changes and the alerts sent (bot/stores/alerts.py)."""
        return self.data_dir / "alerts.sqlite3"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "queries.sqlite3"

    @property
    def changes_path(self) -> Path:
        """Changes made to knowledge files from the bot or ``gaps review`` (``main.py kb history``)."""
        return self.data_dir / "changes.sqlite3"
