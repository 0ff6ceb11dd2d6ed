"""Veo on the Wave API: the models, the rules that cross their values, the request body and the prices.

No I/O: everything here is a pure function of the provider's two pages in ``shared/seeds``.

* :mod:`.models`: the model registry as data, :data:`MODELS` the single source of truth;
* :mod:`.values`: request values (:class:`FormValues`) and the same with defaults filled in (:func:`resolve`);
* :mod:`.rules`: every constraint of the pages, as :class:`Problem`\\ s a person can act on (:func:`check`);
* :mod:`.request`: which fields a model takes (:func:`fields_taken`) and the exact body (:func:`build_request`);
* :mod:`.capabilities`: what each form control may offer now;
* :mod:`.prices`: what a request costs; :mod:`.reading`: values from outside read strictly into their types;
* :mod:`.references`: the list parameters (``image_urls``, ``callback_events``) read from outside;
* :mod:`.variants`: compare grids, each cell judged and priced as its own tab would be.

Other layers import from this package (``from ..veo import FormValues, check``), never from its modules.
"""

# Submodules in dependency order, so importing the package never meets a half-built module.
from .capabilities import ControlState, FormCapabilities, capabilities
from .models import (
    ACTION_LABELS,
    ACTIONS,
    ASPECT_RATIOS,
    CALLBACK_EVENTS,
    CHANNEL_LABELS,
    CHOICES,
    DEFAULT_MODEL,
    FRAME_RATE,
    IMAGE_ACTIONS,
    MAX_REFERENCE_IMAGES,
    MAX_SEED,
    MODELS,
    MODELS_BY_ID,
    PROMPT_MAX_CHARS,
    REQUIRED_IMAGES,
    RESIZE_MODES,
    Billing,
    Channel,
    ModelSpec,
    PriceTable,
    get_model,
    models_for_action,
)
from .prices import Estimate, estimate
from .reading import MAX_CHOICE_CHARS, Reader, Unreadable, as_flag, described
from .references import read_callback_events, read_image_urls, split_urls
from .request import BASE_FIELDS, BuiltRequest, build_request, fields_taken
from .rules import (
    RULES,
    Problem,
    Rule,
    callback_host_problem,
    check,
    field_words,
    has_control_characters,
    is_http_url,
)
from .storyboard import (
    MAX_SHOTS,
    MIN_SHOTS,
    PENDING_CLIP_URL,
    BoardPlan,
    BoardSettings,
    Shot,
    ShotPlan,
    board_models,
    plan_board,
    read_shots,
    shot_action,
    shot_form,
)
from .values import FormValues, Resolved, as_whole_number, resolve
from .variants import (
    MAX_VARIANTS,
    VARIANT_FIELDS,
    Cell,
    GridPlan,
    Variant,
    cell_labels,
    every_model,
    plan_grid,
    read_variants,
    resolutions,
    seeds,
    variant_form,
)

__all__ = [
    # storyboards
    "MAX_SHOTS",
    "MIN_SHOTS",
    "PENDING_CLIP_URL",
    "BoardPlan",
    "BoardSettings",
    "Shot",
    "ShotPlan",
    "board_models",
    "plan_board",
    "read_shots",
    "shot_action",
    "shot_form",
    # variants
    "MAX_VARIANTS",
    "VARIANT_FIELDS",
    "Cell",
    "GridPlan",
    "Variant",
    "cell_labels",
    "every_model",
    "plan_grid",
    "read_variants",
    "resolutions",
    "seeds",
    "variant_form",
    # models
    "ACTIONS",
    "ACTION_LABELS",
    "ASPECT_RATIOS",
    "BASE_FIELDS",
    "CALLBACK_EVENTS",
    "CHANNEL_LABELS",
    "CHOICES",
    "DEFAULT_MODEL",
    "FRAME_RATE",
    "IMAGE_ACTIONS",
    "MAX_REFERENCE_IMAGES",
    "MAX_SEED",
    "MODELS",
    "MODELS_BY_ID",
    "PROMPT_MAX_CHARS",
    "REQUIRED_IMAGES",
    "RESIZE_MODES",
    "Billing",
    "Channel",
    "ModelSpec",
    "PriceTable",
    "get_model",
    "models_for_action",
    # values
    "FormValues",
    "Resolved",
    "as_whole_number",
    "resolve",
    # rules
    "RULES",
    "Problem",
    "Rule",
    "callback_host_problem",
    "check",
    "field_words",
    "has_control_characters",
    "is_http_url",
    # request
    "BuiltRequest",
    "build_request",
    "fields_taken",
    # capabilities
    "ControlState",
    "FormCapabilities",
    "capabilities",
    # prices
    "Estimate",
    "estimate",
    # reading
    "MAX_CHOICE_CHARS",
    "Reader",
    "Unreadable",
    "as_flag",
    "described",
    # references: the two list parameters read from outside
    "read_callback_events",
    "read_image_urls",
    "split_urls",
]
