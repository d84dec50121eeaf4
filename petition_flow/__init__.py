"""petition_flow: 信访事项办理流程引擎 (petition case-handling engine)."""

__version__ = "0.1.0"
