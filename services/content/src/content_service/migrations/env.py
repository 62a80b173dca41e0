from content_service import models
from entraide_kit.migrations import run_env

run_env(models.SQLModel.metadata)
