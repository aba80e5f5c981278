// Binding of WordTokenCache: words in as one space-joined str, tokens and offsets out as numpy.
#include "core/word_token_cache.h"

#include <memory>

#include "python/bindings.h"
#include "python/numpy_util.h"

namespace spelangy {
namespace {

// The UTF-8 bytes of a str, owned by the str (valid while it lives).
std::string_view utf8(const py::handle& s) {
  if (!PyUnicode_Check(s.ptr())) throw py::type_error("words must be str");
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(s.ptr(), &size);
  if (data == nullptr) throw py::error_already_set();
  return std::string_view(data, static_cast<size_t>(size));
}

Array<int64_t> zero_offset() {
  Array<int64_t> a(1);
  a.mutable_at(0) = 0;
  return a;
}

void check_offsets(const Array<int32_t>& ids, const Array<int64_t>& offsets, size_t n) {
  require_size("encode_missing offsets", offsets.size(), static_cast<py::ssize_t>(n + 1));
  if (ids.ndim() != 1 || offsets.ndim() != 1 || offsets.at(0) != 0 ||
      offsets.at(n) != ids.size()) {
    throw py::value_error("encode_missing offsets must run from 0 to len(ids)");
  }
  for (size_t i = 0; i < n; ++i) {
    if (offsets.at(i) > offsets.at(i + 1)) {
      throw py::value_error("encode_missing offsets must not decrease");
    }
  }
}

}  // namespace

void PybindWordTokenCache(py::module& m) {
  py::class_<WordTokenCache, std::unique_ptr<WordTokenCache>>(
      m, "WordTokenCache",
      "Token ids of words seen before, at most max_entries words (then cleared and refilled); "
      "per-word encoding, so a document's tokens are its words' entries back to back. Pickles "
      "as its bound only: a worker process starts with an empty cache.")
      .def(py::init<size_t>(), py::arg("max_entries") = static_cast<size_t>(1) << 20)
      .def(
          "encode",
          [](WordTokenCache& self, const py::str& words, const py::function& encode_missing) {
            const std::string_view joined = utf8(words);
            WordTokenCache::Lookup lookup;
            {
              py::gil_scoped_release release;
              self.lookup(joined, &lookup);
            }
            Array<int32_t> new_ids = Array<int32_t>(0);
            Array<int64_t> new_offsets = zero_offset();
            const size_t n = lookup.missing.size();
            if (n > 0) {
              py::list missing(n);
              for (size_t i = 0; i < n; ++i) {
                const std::string_view w = lookup.missing[i];
                PyObject* s =
                    PyUnicode_DecodeUTF8(w.data(), static_cast<Py_ssize_t>(w.size()), "strict");
                if (s == nullptr) throw py::error_already_set();
                PyList_SET_ITEM(missing.ptr(), static_cast<Py_ssize_t>(i), s);
              }
              const py::tuple got = encode_missing(missing);
              if (got.size() != 2) {
                throw py::value_error("encode_missing must return (ids, offsets)");
              }
              new_ids = Array<int32_t>::ensure(got[0]);
              new_offsets = Array<int64_t>::ensure(got[1]);
              if (!new_ids || !new_offsets) throw py::error_already_set();
              check_offsets(new_ids, new_offsets, n);
            }
            std::vector<int32_t> tokens;
            std::vector<int64_t> offsets;
            {
              py::gil_scoped_release release;
              self.finish(lookup, new_ids.data(), new_offsets.data(), &tokens, &offsets);
            }
            return py::make_tuple(to_numpy(std::move(tokens)), to_numpy(std::move(offsets)));
          },
          py::arg("words"), py::arg("encode_missing"),
          "(tokens int32, offsets int64 [num_words + 1]) of `words` (joined by single spaces). "
          "Words not cached yet are passed, distinct and in order of first occurrence, to "
          "encode_missing(list of str) -> (ids int32, offsets int64 [len + 1]) once, then cached "
          "within the bound.")
      .def("__len__", &WordTokenCache::size)
      .def("clear", &WordTokenCache::clear)
      .def_property_readonly("max_entries", &WordTokenCache::max_entries)
      .def_property_readonly("clears", &WordTokenCache::clears,
                             "How many times the cache was full and started over.")
      .def(py::pickle(
          [](const WordTokenCache& self) { return py::make_tuple(self.max_entries()); },
          [](const py::tuple& state) {
            return std::make_unique<WordTokenCache>(state[0].cast<size_t>());
          }));
}

}  // namespace spelangy
