// numpy <-> C++ glue shared by the binding files: typed input views, zero-copy outputs.
#ifndef SPELANGY_PYTHON_NUMPY_UTIL_H_
#define SPELANGY_PYTHON_NUMPY_UTIL_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace spelangy {
namespace py = pybind11;

// A C-contiguous array of T; numpy converts other dtypes or layouts (one copy), which keeps
// the bindings tolerant of e.g. int64 token arrays without a Python-side cast.
template <typename T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Hands a vector's buffer to numpy without copying; the array owns it from then on.
template <typename T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(static_cast<py::ssize_t>(heap->size()), heap->data(), owner);
}

// Reads attribute `name` of a document object as a 1-D array of T. Another dtype is taken
// only when numpy casts it to T safely (int32 to int64, bool to uint8, ...): a narrowing
// cast would wrap values silently.
template <typename T>
Array<T> attr_array(const py::handle& obj, const char* name) {
  const py::object value = obj.attr(name);
  if (py::isinstance<py::array>(value)) {
    const py::dtype from = py::reinterpret_borrow<py::array>(value).dtype();
    const py::dtype to = py::dtype::of<T>();
    // Booleans only where the field is a flag (uint8): as counts or offsets they are a
    // mistake, though numpy casts them safely.
    const bool flag_ok = from.kind() != 'b' || std::is_same<T, uint8_t>::value;
    if (!from.is(to) && !(flag_ok && py::module_::import("numpy")
                                         .attr("can_cast")(from, to, "safe")
                                         .template cast<bool>())) {
      throw py::value_error(std::string(name) + " must be " + std::string(py::str(to)) +
                            " (or a dtype that casts to it safely), got " +
                            std::string(py::str(from)));
    }
  }
  Array<T> a = Array<T>::ensure(value);
  if (!a) throw py::error_already_set();
  if (a.ndim() != 1) {
    throw py::value_error(std::string(name) + " must be a 1-D array, got " +
                          std::to_string(a.ndim()) + " dimensions");
  }
  return a;
}

template <typename T>
void require_1d(const char* name, const Array<T>& a) {
  if (a.ndim() != 1) {
    throw py::value_error(std::string(name) + " must be a 1-D array, got " +
                          std::to_string(a.ndim()) + " dimensions");
  }
}

inline void require_size(const char* name, py::ssize_t got, py::ssize_t want) {
  if (got != want) {
    throw py::value_error(std::string(name) + " has " + std::to_string(got) +
                          " entries, expected " + std::to_string(want));
  }
}

}  // namespace spelangy

#endif  // SPELANGY_PYTHON_NUMPY_UTIL_H_
