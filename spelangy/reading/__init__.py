"""Reading manifests: a manifest document's whole path to a `SpeechDocument` stays here.

- `files`: manifest files as raw documents (JSONL lines, plain, gzip, URL or `pipe:`; JSON
  and YAML lists), `sharding`: which shard each document of several files is in, `shar`:
  Lhotse Shar directories;
- `reader`: one line to one document: `native` (the C++ reader, the fast path) or
  `lhotse_reader` (Lhotse's objects; it defines the rules and takes every cut type);
- `speech_tokens`: a cut's speech frames, stored or made on the fly, by one frame rule and
  one check; `storage`: stored arrays read as Lhotse slices them; `audio`: the one audio
  loader.
"""
