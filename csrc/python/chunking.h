// Chunking bindings, and the ChunkTable -> Python tuple conversion other bindings reuse.
#ifndef SPELANGY_PYTHON_CHUNKING_H_
#define SPELANGY_PYTHON_CHUNKING_H_

#include <pybind11/pybind11.h>

#include "core/chunking.h"

namespace spelangy {
namespace py = pybind11;

// (start, end, speaker, word_begin, word_end, frame_begin, frame_end, unsplit_turns),
// the field order of spelangy.chunks.Chunks.
py::tuple chunk_table_to_tuple(ChunkTable&& table);

ChunkingMode chunking_mode_from_int(int mode);


}  // namespace spelangy

#endif  // SPELANGY_PYTHON_CHUNKING_H_
