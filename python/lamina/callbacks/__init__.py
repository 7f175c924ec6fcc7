"""lamina.callbacks: Keras 3's training callbacks."""

from lamina.callbacks.callback import Callback
from lamina.callbacks.callback_list import CallbackList
from lamina.callbacks.csv_logger import CSVLogger
from lamina.callbacks.early_stopping import EarlyStopping
from lamina.callbacks.history import History
from lamina.callbacks.lambda_callback import LambdaCallback
from lamina.callbacks.learning_rate_scheduler import LearningRateScheduler
from lamina.callbacks.progbar_logger import ProgbarLogger
from lamina.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from lamina.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ProgbarLogger", "ReduceLROnPlateau", "TerminateOnNaN",
]

# ----------------------------------------------------------------------------------------------
# Saving callbacks (owned by the saving helper): ModelCheckpoint and BackupAndRestore are
# imported here and added to __all__.
# ----------------------------------------------------------------------------------------------
from lamina.callbacks.backup_and_restore import BackupAndRestore  # noqa: E402
from lamina.callbacks.model_checkpoint import ModelCheckpoint  # noqa: E402

__all__ += ["BackupAndRestore", "ModelCheckpoint"]
