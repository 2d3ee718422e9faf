"""Every adapter implements the Adapter protocol of adapters/base.py: the attributes and coroutines the outbox and the
CLI use, and the pure ``to_request``/``render`` pair of its module (platform event -> Request, Reply -> messages)."""
from __future__ import annotations

import inspect
import typing

import pytest
from pydantic import SecretStr

from adapters import console, discord_bot, telegram_bot
from adapters.base import Adapter
from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot
from bot.messages import ChatRef, Pacing, Reply, Request

MODULES = (console, telegram_bot, discord_bot)


@pytest.fixture
def adapters(services):
    bot = Bot(services.settings, services, COMMANDS)
    settings = services.settings.model_copy(update={"discord_token": SecretStr("x" * 20)})
    return [
        console.ConsoleAdapter(bot),
        telegram_bot.TelegramAdapter(bot, telegram_bot.TelegramConfig(token="42:abc", rate_per_second=5, group_rate_per_minute=7)),
        discord_bot.DiscordAdapter(bot, settings),
    ]


def test_each_adapter_satisfies_the_protocol(adapters):
    for adapter in adapters:
        assert isinstance(adapter, Adapter), type(adapter)
        for name in ("start", "stop", "send"):
            assert inspect.iscoroutinefunction(getattr(adapter, name)), (type(adapter), name)
        assert adapter.pacing is None or isinstance(adapter.pacing, Pacing)
    assert [a.platform for a in adapters] == ["console", "telegram", "discord"]


def test_telegram_declares_its_pacing_and_the_others_pace_themselves(adapters):
    console_adapter, telegram, discord = adapters
    assert console_adapter.pacing is None and discord.pacing is None
    assert (telegram.pacing.per_second, telegram.pacing.group_per_minute) == (5, 7)
    assert telegram.pacing.is_group(ChatRef("telegram", "-100123"))
    assert not telegram.pacing.is_group(ChatRef("telegram", "42"))


def test_settings_reach_the_telegram_config_by_name(settings):
    tuned = settings.model_copy(update={"telegram_token": SecretStr("42:abc"), "telegram_max_retry_after": 7.5,
                                        "telegram_rate_per_second": 3.0, "telegram_group_rate_per_minute": 4})
    config = telegram_bot.TelegramConfig.from_settings(tuned)
    assert (config.max_retry_after, config.rate_per_second, config.group_rate_per_minute) == (7.5, 3.0, 4)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_each_module_has_the_pure_to_request_and_render_pair(module):
    to_request, render = module.to_request, module.render
    assert not inspect.iscoroutinefunction(to_request) and not inspect.iscoroutinefunction(render)
    request_hints = typing.get_type_hints(to_request, vars(module))
    assert request_hints["return"] in (Request, Request | None)
    render_params = list(inspect.signature(render).parameters.values())
    assert render_params[0].name == "reply" and typing.get_type_hints(render, vars(module))["reply"] is Reply
    assert render(Reply(lead="Hello.", language="en"))  # one or more platform messages
