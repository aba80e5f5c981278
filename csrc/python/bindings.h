// One registration function per binding file; module.cc calls them all.
#ifndef SPELANGY_PYTHON_BINDINGS_H_
#define SPELANGY_PYTHON_BINDINGS_H_

#include <pybind11/pybind11.h>

namespace spelangy {
namespace py = pybind11;

void PybindDocument(py::module& m);
void PybindChunking(py::module& m);
void PybindSampling(py::module& m);
void PybindInterleave(py::module& m);
void PybindSpeechDocument(py::module& m);
void PybindBatchBuilder(py::module& m);
void PybindManifestReader(py::module& m);
void PybindWordTokenCache(py::module& m);
void PybindPreparedColumns(py::module& m);

}  // namespace spelangy

#endif  // SPELANGY_PYTHON_BINDINGS_H_
