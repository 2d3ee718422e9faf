"""Settings: every knob Parley has, read once from PARLEY_* variables and an optional .env file."""
from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """An SQLite file in the user's data directory."""
    data_dir = Path(platformdirs.user_data_dir("parley", appauthor=False))
    return f"sqlite:///{data_dir / 'parley.db'}"


def default_log_file() -> Path:
    """parley.log in the user's log directory."""
    return Path(platformdirs.user_log_dir("parley", appauthor=False)) / "parley.log"


def default_cache_dir() -> Path:
    """The user's cache directory: rebuildable files only."""
    return Path(platformdirs.user_cache_dir("parley", appauthor=False))


class Settings(BaseSettings):
    """Parley's configuration. Each field's description is its help line in ``parley config``."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", env_file=".env", extra="ignore", env_ignore_empty=True)

    # storage and corpus
    database_url: str = Field(default_factory=default_database_url, description="SQLAlchemy URL of the database (SQLite file or postgresql+psycopg://...).")
    database_wait: float = Field(30.0, description="Seconds to keep retrying an unreachable database on start (containers start before their database).")
    seeds_dir: Path = Field(REPO_ROOT / "seeds", description="Folder of starter documents ingested on the first start with an empty database.")
    profile: Path | None = Field(None, description="YAML profile naming the parties, issues and aliases; empty means the bundled default.")
    log_level: str | None = Field(None, description="Logging level (DEBUG, INFO, WARNING, ERROR) for the log file and the terminal; empty means INFO in the file and WARNING on the terminal.")
    log_file: str = Field(default_factory=lambda: str(default_log_file()), description="File the logs are appended to (rotated at 5 MB, 3 kept); `none` logs to the terminal only.")

    # ingestion and fetching
    max_document_bytes: int = Field(5_000_000, description="Largest file or download accepted for ingestion, in bytes.")
    source_folders: str = Field("", description="Comma-separated server folders under which local files and folders may be added as sources (CLI or chat); empty allows none.")
    fetch_timeout: float = Field(20.0, description="Seconds before a fetch of a URL is abandoned.")
    allow_private_urls: bool = Field(False, description="Allow fetching URLs on private, loopback or link-local addresses (tests, intranets).")
    user_agent: str = Field("ParleyBot/0.1 (+https://github.com/parley)", description="User-Agent sent when fetching feeds and pages.")
    cache_dir: Path = Field(default_factory=default_cache_dir, description="Folder for rebuildable caches (snapshots of the answer index of large corpora); deleting it only slows the next start.")
    embed_threads: int = Field(0, description="Threads for computing embeddings; 0 means one per core.")

    # chat behaviour
    admin_ids: str = Field("", description="Comma-separated bot admins as platform:user_id, e.g. telegram:12345,discord:67890.")
    questions_per_minute: int = Field(10, description="Questions one user may ask per minute before being asked to wait.")
    default_language: str = Field("en", description="Answer language when a question's language cannot be told: en, zh-Hans or zh-Hant.")
    default_timezone: str = Field("UTC", description="Time zone for daily digests when a chat has not set one.")
    stale_after_days: int = Field(30, description="An answer whose newest source is older than this many days says that positions may have changed; 0 turns the note off.")
    feedback_buttons: bool = Field(True, description="Show 👍/👎 buttons under answers in Telegram and Discord and store the votes (`parley feedback` reports them).")

    # Telegram
    telegram_token: SecretStr | None = Field(None, description="Telegram bot token from BotFather; the Telegram adapter starts when it is set.")
    telegram_api_url: str = Field("https://api.telegram.org/bot", description="Telegram Bot API base URL (self-hosted Bot API servers, tests).")
    telegram_webhook_url: str | None = Field(None, description="Public HTTPS URL for webhook mode; empty means long polling.")
    telegram_webhook_listen: str = Field("0.0.0.0:8443", description="host:port the webhook server listens on.")
    telegram_webhook_secret: SecretStr | None = Field(None, description="Secret token Telegram sends with webhook calls.")

    # Discord
    discord_token: SecretStr | None = Field(None, description="Discord bot token; the Discord adapter starts when it is set.")
    discord_api_url: str = Field("https://discord.com/api/v10", description="Discord REST base URL (REST proxies such as nirn-proxy, tests).")
    discord_gateway_url: str = Field("wss://gateway.discord.gg/", description="Discord gateway URL (gateway proxies, tests).")
    discord_shard_count: int = Field(0, description="Number of shards; 0 runs one unsharded connection.")
    discord_max_ratelimit_timeout: float = Field(30.0, description="Longest Discord rate-limit wait in seconds before a send fails and is retried later.")

    # scheduler and delivery
    scheduler_enabled: bool = Field(True, description="Run the scheduler (polling, delivery, digests) in this process if it wins the leader lease.")
    lease_seconds: int = Field(30, description="Seconds a scheduler leader lease lasts without renewal before another process takes over.")
    default_poll_interval: str = Field("15m", description="Poll interval for sources added without --interval.")
    poll_workers: int = Field(4, description="Sources polled at the same time, so one slow or hostile source holds up only its own slot.")
    delivery_interval: float = Field(2.0, description="Seconds between delivery passes over the outbox.")
    telegram_rate_per_second: float = Field(30.0, description="Messages per second the Telegram sender allows itself overall.")
    telegram_group_rate_per_minute: int = Field(20, description="Messages per minute the Telegram sender allows itself per group.")
    telegram_max_retry_after: float = Field(30.0, description="Longest Telegram flood wait (retry_after, seconds) an answer to a question sits out before it is sent; pushes never wait: the outbox holds that chat and sends to the others.")
    max_delivery_attempts: int = Field(12, description="Attempts before a delivery is given up and logged as failed.")

    # optional language model (OpenAI-compatible server); off while PARLEY_LLM_URL is empty
    llm_url: str | None = Field(None, description="Base URL of an OpenAI-compatible API (e.g. http://localhost:11434/v1 for Ollama); empty keeps answers extractive.")
    llm_model: str = Field("", description="Model name the server knows, e.g. qwen2.5:7b-instruct; required by most servers when PARLEY_LLM_URL is set.")
    llm_api_key: SecretStr | None = Field(None, description="API key sent as a Bearer token, if the server wants one (never logged).")
    llm_timeout: float = Field(12.0, description="Seconds a question may wait for the model, retries included; past it the extractive answer is sent.")
    llm_translate: bool = Field(True, description="With a model set: show a machine translation beside quotes and summaries in another language than the reader's.")

    def allowed_source_folders(self) -> list[Path]:
        """The folders local sources must lie under, resolved (symbolic links followed)."""
        return [Path(part.strip()).expanduser().resolve() for part in self.source_folders.split(",") if part.strip()]

    def admins(self) -> set[str]:
        """Admin ids as a set of ``platform:user_id`` strings."""
        return {part.strip() for part in self.admin_ids.split(",") if part.strip()}
