"""The chat contract the adapters see: dispatch (Bot, CommandSpec) and the command handlers."""
