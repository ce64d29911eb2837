"""Why a test case fails: word attributions, attention rollout, their faithfulness and stability,
head functions and layer probes. Every function takes a Hugging Face sequence-classification model
and its tokenizer."""

from assay.explain.attributions import METHODS, explain_cases, format_top_tokens
from assay.explain.faithfulness import faithfulness_report, format_faithfulness
from assay.explain.head_functions import function_table, head_function_scores, plot_function_heatmaps, run_functions
from assay.explain.probes import layer_probes, plot_probe_curves, property_labels
from assay.explain.rollout import eager_attention, rollout_matrix
from assay.explain.stability import format_stability, stability_report

__all__ = [
    "METHODS", "eager_attention", "explain_cases", "faithfulness_report", "format_faithfulness",
    "format_stability", "format_top_tokens", "function_table", "head_function_scores", "layer_probes",
    "plot_function_heatmaps", "plot_probe_curves", "property_labels", "rollout_matrix", "run_functions",
    "stability_report",
]
