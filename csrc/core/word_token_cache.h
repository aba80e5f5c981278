// A bounded map from a word's UTF-8 bytes to its SentencePiece ids, and per-document assembly.
#ifndef SPELANGY_CORE_WORD_TOKEN_CACHE_H_
#define SPELANGY_CORE_WORD_TOKEN_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace spelangy {

// Splits `joined` at every single space, as Python's `str.split(" ")` does (empty words
// included).
std::vector<std::string_view> split_words(std::string_view joined);

// Token ids of words seen before. Words are tokenized on their own, so a document's tokens
// are the concatenation of its words' entries, which is exactly per-word encoding.
//
// Memory is bounded by `max_entries` words, 16 ids and 64 key bytes per entry on average
// (at most about 150 bytes per entry with the table): when inserting a document's new words
// would pass either, the map is cleared first and refills with the words of the documents
// that follow. Clearing
// (rather than freezing) keeps the cache useful when the vocabulary drifts, and since word
// frequencies are Zipfian the frequent words come back within a few documents. Thread-safe:
// one mutex around every method. An open-addressing table over one byte arena for the keys
// and one id arena: a lookup hashes the word's bytes in place, with no allocation.
class WordTokenCache {
 public:
  explicit WordTokenCache(size_t max_entries) : max_entries_(max_entries) {}

  // One document's words looked up: the ids of the cached ones, and the distinct others.
  struct Lookup {
    std::vector<std::string_view> words;
    std::vector<uint64_t> hashes;   // per word
    std::vector<int64_t> begin;     // per word: into hit_ids, or -1 - index into missing
    std::vector<uint32_t> length;   // per word: ids of a cached word
    std::vector<int32_t> hit_ids;   // the cached words' ids, back to back
    std::vector<std::string_view> missing;  // distinct, in order of first occurrence
  };

  // Splits `words` (joined by single spaces) and looks every word up.
  void lookup(std::string_view words, Lookup* out) const;

  // The document's tokens and where each word's tokens start (num_words + 1 entries), from a
  // lookup and the ids of its missing words (`missing[i]` has `new_ids[new_offsets[i]:
  // new_offsets[i + 1]]`); then caches the missing words, within the bound.
  void finish(const Lookup& lookup, const int32_t* new_ids, const int64_t* new_offsets,
              std::vector<int32_t>* tokens, std::vector<int64_t>* offsets);

  size_t size() const;
  size_t max_entries() const { return max_entries_; }
  uint64_t clears() const;
  void clear();

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_begin = 0, key_length = 0;  // into keys_
    uint32_t ids_begin = 0, ids_length = 0;  // into ids_
    bool used = false;
  };
  // The slot holding `word`, or the empty slot where it would go.
  const Slot& find(std::string_view word, uint64_t hash) const;
  void insert_locked(std::string_view word, const int32_t* ids, size_t n);
  void clear_locked();
  void grow();

  size_t max_entries_;  // also bounds ids_ to 16 and keys_ to 64 per entry
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;  // a power of two long, at most half full
  size_t size_ = 0;
  std::string keys_;          // all keys, back to back
  std::vector<int32_t> ids_;  // all entries' ids, back to back
  uint64_t clears_ = 0;
};

}  // namespace spelangy

#endif  // SPELANGY_CORE_WORD_TOKEN_CACHE_H_
