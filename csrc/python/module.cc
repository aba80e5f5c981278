// spelangy._C: the module definition; each binding file exports one Pybind function.
#include <pybind11/pybind11.h>

#include "python/bindings.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "spelangy C++ core: chunking, sampling, interleaving and batch building";
  spelangy::PybindDocument(m);
  spelangy::PybindChunking(m);
  spelangy::PybindSampling(m);
  spelangy::PybindInterleave(m);
  spelangy::PybindSpeechDocument(m);
  spelangy::PybindBatchBuilder(m);
  spelangy::PybindManifestReader(m);
  spelangy::PybindWordTokenCache(m);
  spelangy::PybindPreparedColumns(m);
}
