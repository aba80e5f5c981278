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

}  // namespace

void PybindWordTokenCache(py::module& m) {
  py::class_<WordTokenCache, std::unique_ptr<WordTokenCache>>(
      m, "WordTokenCache",
      "Token ids of words seen before, at most max_entries words (then cleared and refilled); "
      "per-word encoding, so a document's tokens are its words' entries back to back. Pickles "
      "as its bound only: a worker process starts with an empty cache.")
      .def(py::init<size_t>(), py::arg("max_entries") = static_cast<size_t>(1) << 20)
      .def(
          "assemble",
          [](WordTokenCache& self, const py::str& words, const py::list& new_words,
             const Array<int32_t>& new_ids, const Array<int64_t>& new_offsets) -> py::object {
            const size_t n = new_words.size();
            require_size("new_offsets", new_offsets.size(), static_cast<py::ssize_t>(n + 1));
            if (new_offsets.at(0) != 0 || new_offsets.at(n) != new_ids.size()) {
              throw py::value_error("new_offsets must run from 0 to len(new_ids)");
            }
            for (size_t i = 0; i < n; ++i) {
              if (new_offsets.at(i) > new_offsets.at(i + 1)) {
                throw py::value_error("new_offsets must not decrease");
              }
            }
            const std::string_view joined = utf8(words);
            std::vector<std::string_view> fresh(n);
            for (size_t i = 0; i < n; ++i) fresh[i] = utf8(new_words[i]);
            std::vector<int32_t> tokens;
            std::vector<int64_t> offsets;
            std::vector<std::string_view> missing;
            bool done;
            {
              py::gil_scoped_release release;
              done = self.assemble(joined, fresh, new_ids.data(), new_offsets.data(), &tokens,
                                   &offsets, &missing);
            }
            if (done) {
              return py::make_tuple(to_numpy(std::move(tokens)), to_numpy(std::move(offsets)));
            }
            py::list out(missing.size());
            for (size_t i = 0; i < missing.size(); ++i) {
              PyObject* s = PyUnicode_DecodeUTF8(missing[i].data(),
                                                 static_cast<Py_ssize_t>(missing[i].size()),
                                                 "strict");
              if (s == nullptr) throw py::error_already_set();
              PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), s);
            }
            return std::move(out);
          },
          py::arg("words"), py::arg("new_words") = py::list(),
          py::arg("new_ids") = Array<int32_t>(0), py::arg("new_offsets") = zero_offset(),
          "(tokens int32, offsets int64 [num_words + 1]) of `words` (joined by single spaces), "
          "where new_words[i] has the ids new_ids[new_offsets[i]:new_offsets[i + 1]]; the new "
          "words are cached afterwards, within the bound. When a word is neither cached nor "
          "new, returns the list of such words (distinct, in order of first occurrence) "
          "instead and changes nothing.")
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
