"""CheckList suites in assay: read a saved suite safely, turn its tests into assay declarations.

    from assay.checklist import load_suite
    suite = load_suite("sentiment_suite.tar.gz")      # nothing in the pickle runs
    decl = suite["single positive words"].declaration(label_names=["negative", "neutral", "positive"])

See docs/checklist.md for the migration guide.
"""

from .suite import CheckListSuite, CheckListTest, load_suite
from .unpickle import UnsafePickle

__all__ = ["load_suite", "CheckListSuite", "CheckListTest", "UnsafePickle"]
