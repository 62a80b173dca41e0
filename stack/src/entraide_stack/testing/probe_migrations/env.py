from entraide_kit.migrations import run_env
from entraide_stack.testing.probe import metadata

run_env(metadata)
