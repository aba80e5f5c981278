# Type stub of the private C++ extension; the typed public API is spelangy._core_cpp.
"""spelangy._C: the C++ core (csrc/). Documents are taken as any object with the
`SpeechDocument` array attributes; arrays of other dtypes are converted (one copy). Every
function releases the GIL while it computes. Integer codes: chunking mode 0 coarse, 1 fine;
sampling mode 0 deterministic, 1 stochastic; modality 0 text, 1 audio, 2 special, 3 pad.
`vocab` is (speech_offset, bos, eos, audio_marker, text_marker). Errors in the inputs raise
ValueError with what is wrong."""

from typing import Any, Callable, List, Tuple

import numpy as np

ChunkFields = Tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int
]  # start, end, speaker, word_begin, word_end, frame_begin, frame_end, unsplit_turns
VocabIds = Tuple[int, int, int, int, int]

def has_cuda() -> bool: ...
def splitmix64(x: int) -> int: ...
def check_speech_document(doc: Any) -> str: ...
def chunk_document(doc: Any, mode: int, max_chunk_duration: float) -> ChunkFields: ...
def sample_modalities(
    num_chunks: int, key: int, mode: int, p_audio: float, first_modality: int, seed: int,
    epoch: int,
) -> np.ndarray: ...
def interleave_speech(
    doc: Any, word_begin: np.ndarray, word_end: np.ndarray, frame_begin: np.ndarray,
    frame_end: np.ndarray, chunk_modality: np.ndarray, vocab: VocabIds,
) -> Tuple[np.ndarray, np.ndarray]: ...
def interleave_text(text_tokens: np.ndarray, vocab: VocabIds) -> Tuple[np.ndarray, np.ndarray]: ...
def build_speech_document(
    doc: Any, chunking_mode: int, max_chunk_duration: float, sampling_mode: int,
    p_audio: float, first_modality: int, seed: int, epoch: int, vocab: VocabIds,
) -> Tuple[np.ndarray, np.ndarray, ChunkFields, np.ndarray, int]: ...
# (tokens, modality, chunk fields, chunk modalities as emitted, audio chunks emitted as text)
def speech_document_length(
    doc: Any, chunking_mode: int, max_chunk_duration: float, sampling_mode: int,
    p_audio: float, first_modality: int, seed: int, epoch: int, vocab: VocabIds,
) -> int: ...
class PreparedSpeechColumns:
    # A prepared corpus's speech columns (docs/prepared.md), each of exactly its format's
    # dtype (TypeError otherwise), held without a copy. Each method returns what the function
    # of the same name returns for document `number`, or None when the columns do not give
    # it (rows outside the columns, a document the core refuses): build its arrays then.
    def __init__(self, columns: dict) -> None: ...
    def build_speech_document(
        self, number: int, key: int, chunking_mode: int, max_chunk_duration: float,
        sampling_mode: int, p_audio: float, first_modality: int, seed: int, epoch: int,
        vocab: VocabIds,
    ) -> Tuple[np.ndarray, np.ndarray, ChunkFields, np.ndarray, int] | None: ...
    def speech_document_length(
        self, number: int, key: int, chunking_mode: int, max_chunk_duration: float,
        sampling_mode: int, p_audio: float, first_modality: int, seed: int, epoch: int,
        vocab: VocabIds,
    ) -> int | None: ...

def check_batch_plan(
    piece_row: np.ndarray, piece_col: np.ndarray, piece_length: np.ndarray,
    piece_src: np.ndarray, num_tokens: int, batch_size: int, seq_len: int,
) -> str: ...

# The batch builders take addresses (numpy `.ctypes.data`, torch `.data_ptr()`) so that _C
# never links libtorch. Inputs: tokens int32, modality int8, piece_row/col/length int32,
# piece_src/next_label int64; outputs: tokens/labels/position_ids int64 [B*L], modality int8
# [B*L], cu_seqlens int32 [P+1]. The plan must have passed check_batch_plan.
def build_batch_cpu(
    tokens: int, modality: int, piece_row: int, piece_col: int, piece_length: int,
    piece_src: int, piece_next_label: int, num_pieces: int, batch_size: int, seq_len: int,
    pad_id: int, loss_mask_bits: int, out_tokens: int, out_labels: int,
    out_position_ids: int, out_modality: int, out_cu_seqlens: int,
) -> None: ...
def build_batch_emulated(
    tokens: int, modality: int, piece_row: int, piece_col: int, piece_length: int,
    piece_src: int, piece_next_label: int, num_pieces: int, batch_size: int, seq_len: int,
    pad_id: int, loss_mask_bits: int, out_tokens: int, out_labels: int,
    out_position_ids: int, out_modality: int, out_cu_seqlens: int,
) -> None: ...
def build_batch_cuda(
    tokens: int, modality: int, piece_row: int, piece_col: int, piece_length: int,
    piece_src: int, piece_next_label: int, num_pieces: int, batch_size: int, seq_len: int,
    pad_id: int, loss_mask_bits: int, out_tokens: int, out_labels: int,
    out_position_ids: int, out_modality: int, out_cu_seqlens: int, stream: int,
) -> None: ...

class ManifestTables:
    """One MonoCut line read by the C++ reader (the rules of spelangy.reading.lhotse_reader)."""

    cut_id: str
    start: float
    duration: float
    turn_start: np.ndarray  # float64 [T]
    turn_end: np.ndarray  # float64 [T]
    turn_speaker: np.ndarray  # int32 [T]
    turn_word_offsets: np.ndarray  # int64 [T + 1]
    turn_aligned: np.ndarray  # uint8 [T]
    words: str  # the words joined by single spaces
    num_words: int
    words_outside_cut: int
    word_start: np.ndarray  # float64 [W]
    word_end: np.ndarray  # float64 [W]
    word_sentence_end: np.ndarray  # uint8 [W]
    storage_type: str  # where the speech_tokens array is
    storage_path: str
    storage_key: str
    num_frames: int  # of the stored array
    frame_shift: float
    array_start: float
    speech_vocab_size: Any  # custom["speech_vocab_size"] as written, or None

def read_manifest_line(line: bytes) -> ManifestTables | str: ...

class WordTokenCache:
    """Token ids of words seen before, per process (pickles as its bound only). Holds at most
    max_entries words (and 16 ids, 64 key bytes per entry on average); when a document's new
    words would pass the bound it is cleared and refills."""

    def __init__(self, max_entries: int = 1 << 20) -> None: ...
    def encode(
        self, words: str, encode_missing: Callable[[List[str]], Tuple[np.ndarray, np.ndarray]],
    ) -> Tuple[np.ndarray, np.ndarray]: ...  # tokens int32, offsets int64 [num_words + 1]
    def __len__(self) -> int: ...
    def clear(self) -> None: ...
    @property
    def max_entries(self) -> int: ...
    @property
    def clears(self) -> int: ...
