// WordTokenCache: per-word SentencePiece ids reused across documents, bounded in entries.
#include "core/word_token_cache.h"

#include <cstring>
#include <unordered_map>

namespace spelangy {
namespace {

constexpr size_t kInitialSlots = 1024;

uint64_t mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

// A fast 64-bit hash of a short byte string (words are mostly under 16 bytes).
uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (s.size() * 0xff51afd7ed558ccdULL);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = mix(h ^ v) * 0xc4ceb9fe1a85ec53ULL;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return mix(h ^ tail ^ (static_cast<uint64_t>(n) << 56));
}

}  // namespace

std::vector<std::string_view> split_words(std::string_view joined) {
  std::vector<std::string_view> out;
  size_t begin = 0;
  while (true) {
    const size_t space = joined.find(' ', begin);
    if (space == std::string_view::npos) {
      out.push_back(joined.substr(begin));
      return out;
    }
    out.push_back(joined.substr(begin, space - begin));
    begin = space + 1;
  }
}

const WordTokenCache::Slot& WordTokenCache::find(std::string_view word, uint64_t hash) const {
  static const Slot kEmpty;
  if (slots_.empty()) return kEmpty;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (!slot.used) return slot;
    if (slot.hash == hash && slot.key_length == word.size() &&
        std::memcmp(keys_.data() + slot.key_begin, word.data(), word.size()) == 0) {
      return slot;
    }
  }
}

void WordTokenCache::lookup(std::string_view words, Lookup* out) const {
  out->words = split_words(words);
  const size_t n = out->words.size();
  out->begin.resize(n);
  out->length.assign(n, 0);
  out->hit_ids.clear();
  out->hit_ids.reserve(2 * n);
  out->missing.clear();
  std::unordered_map<std::string_view, int64_t> missing_index;
  out->hashes.resize(n);
  for (size_t i = 0; i < n; ++i) out->hashes[i] = hash_bytes(out->words[i]);
  std::lock_guard<std::mutex> lock(mutex_);
  // The table outgrows the caches the manifest's bytes stream through, so the probes of the
  // words a few ahead are started early and their misses overlap.
  constexpr size_t kPrefetchDistance = 8;
  const size_t mask = slots_.empty() ? 0 : slots_.size() - 1;
  for (size_t i = 0; i < n; ++i) {
    if (!slots_.empty() && i + kPrefetchDistance < n) {
      __builtin_prefetch(&slots_[out->hashes[i + kPrefetchDistance] & mask]);
    }
    const std::string_view w = out->words[i];
    const Slot& slot = find(w, out->hashes[i]);
    if (slot.used) {
      out->begin[i] = static_cast<int64_t>(out->hit_ids.size());
      out->length[i] = slot.ids_length;
      const int32_t* ids = ids_.data() + slot.ids_begin;
      out->hit_ids.insert(out->hit_ids.end(), ids, ids + slot.ids_length);
    } else {
      auto [it, added] =
          missing_index.try_emplace(w, static_cast<int64_t>(out->missing.size()));
      if (added) out->missing.push_back(w);
      out->begin[i] = -1 - it->second;
    }
  }
}

void WordTokenCache::finish(const Lookup& lookup, const int32_t* new_ids,
                            const int64_t* new_offsets, std::vector<int32_t>* tokens,
                            std::vector<int64_t>* offsets) {
  const size_t n = lookup.words.size();
  offsets->resize(n + 1);
  (*offsets)[0] = 0;
  if (lookup.missing.empty()) {  // every word cached: the hit ids are the document's tokens
    *tokens = lookup.hit_ids;
    for (size_t i = 0; i < n; ++i) (*offsets)[i + 1] = (*offsets)[i] + lookup.length[i];
    return;
  }
  tokens->clear();
  tokens->reserve(lookup.hit_ids.size() + static_cast<size_t>(new_offsets[lookup.missing.size()]));
  for (size_t i = 0; i < n; ++i) {
    const int64_t b = lookup.begin[i];
    if (b >= 0) {
      tokens->insert(tokens->end(), lookup.hit_ids.begin() + b,
                     lookup.hit_ids.begin() + b + lookup.length[i]);
    } else {
      const size_t m = static_cast<size_t>(-1 - b);
      tokens->insert(tokens->end(), new_ids + new_offsets[m], new_ids + new_offsets[m + 1]);
    }
    (*offsets)[i + 1] = static_cast<int64_t>(tokens->size());
  }
  const std::vector<std::string_view>& fresh = lookup.missing;
  size_t key_bytes = 0;
  for (const std::string_view w : fresh) key_bytes += w.size();
  const size_t num_new_ids = static_cast<size_t>(new_offsets[fresh.size()]);
  const size_t max_ids = 16 * max_entries_, max_key_bytes = 64 * max_entries_;
  if (fresh.size() > max_entries_ || num_new_ids > max_ids || key_bytes > max_key_bytes) {
    return;  // these words would not fit even in an empty cache
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (size_ + fresh.size() > max_entries_ || ids_.size() + num_new_ids > max_ids ||
      keys_.size() + key_bytes > max_key_bytes) {
    clear_locked();
    ++clears_;
  }
  for (size_t i = 0; i < fresh.size(); ++i) {
    insert_locked(fresh[i], new_ids + new_offsets[i],
                  static_cast<size_t>(new_offsets[i + 1] - new_offsets[i]));
  }
}

void WordTokenCache::insert_locked(std::string_view word, const int32_t* ids, size_t n) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  const uint64_t hash = hash_bytes(word);
  Slot& slot = const_cast<Slot&>(find(word, hash));
  if (slot.used) return;
  slot = Slot{hash, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(word.size()),
              static_cast<uint32_t>(ids_.size()), static_cast<uint32_t>(n), true};
  keys_.append(word);
  ids_.insert(ids_.end(), ids, ids + n);
  ++size_;
}

void WordTokenCache::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? kInitialSlots : 2 * old.size(), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.used) continue;
    size_t i = s.hash & mask;
    while (slots_[i].used) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void WordTokenCache::clear_locked() {
  slots_.clear();
  slots_.shrink_to_fit();
  keys_.clear();
  ids_.clear();
  size_ = 0;
}

size_t WordTokenCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return size_;
}

uint64_t WordTokenCache::clears() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return clears_;
}

void WordTokenCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_locked();
}

}  // namespace spelangy
