"""Train models: one target with :func:`train`, or K shadow / reference models with :func:`train_many`.

``single`` trains one model (:class:`TrainConfig`, :func:`train`, :func:`fit_module`); ``many``
trains a :class:`ModelBank` of K models, each on its own subset of the data, by the fastest route
for the size and device (``batched`` holds the stacked-weights route). Taught in notebooks 01–02
(one model) and 05 (many); ``recipes`` trains scikit-learn classifiers or your own function
the same way (notebook 10).
"""

from .many import ModelBank, choose_route, model_seeds, train_many
from .private import DP_DEFAULT_BATCH_SIZE, dp_epsilon
from .recipes import (
    CallableRecipe,
    RecipeBank,
    RecipeModel,
    SklearnRecipe,
    as_recipe,
    fit_recipe,
    model_logits,
    named_recipe,
)
from .single import (
    TrainConfig,
    TrainedModel,
    arrays_to_state,
    check_features,
    fit_module,
    state_to_arrays,
    train,
)

__all__ = ["TrainConfig", "TrainedModel", "train", "fit_module", "check_features", "state_to_arrays",
           "arrays_to_state", "train_many", "ModelBank", "choose_route", "model_seeds",
           "SklearnRecipe", "CallableRecipe", "RecipeBank", "RecipeModel", "as_recipe", "fit_recipe", "model_logits",
           "named_recipe", "dp_epsilon",
           "DP_DEFAULT_BATCH_SIZE"]
