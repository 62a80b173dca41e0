from entraide_kit.migrations import run_env
from schedule_service import models

run_env(models.SQLModel.metadata)
