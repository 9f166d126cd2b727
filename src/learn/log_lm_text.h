// Text preparation for the log language model: strips the static metadata around a raw log line
// (container wrappers, timestamps, fixed prefixes) and masks variable values, so the model learns
// what services say rather than when and with which ids.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace augur::learn {

// Longest prepared line kept, in bytes: longer lines are cut here (their head carries the message;
// the tail is usually a dump of parameters or a stack frame list).
inline constexpr size_t kLogLmMaxLineBytes = 400;

// Removes the wrappers and header fields that carry no meaning for the model: a docker JSON line
// ({"log":"...","stream":...}) is unwrapped, a CRI prefix ("<time> stdout F ") dropped, leading
// timestamps/dates/times and log-level-free fixed fields such as epoch numbers removed. The message
// and its level word are kept. Swappable for the log miner's header splitter.
std::string StripLogHeader(std::string_view raw);

struct LogMaskOptions {
  // Durations keep their order of magnitude instead of becoming "<*>": a slowed service writes
  // "took=2345ms" where it wrote "took=0.2ms", which is the only trace some faults leave in logs.
  bool magnitudes = true;
};

// Masks variable values: every whitespace/punctuation-delimited token holding a digit (numbers,
// ids, IPs, times, hex, UUIDs) becomes "<*>" (except source locations such as "Impl#415"), runs of
// masks collapse into one, non-ASCII bytes become '?', control bytes count as whitespace,
// whitespace is squeezed, and the result is cut to kLogLmMaxLineBytes. With `magnitudes`, a
// duration becomes its half-decade bucket (DurationToken): a number with a time unit attached
// ("12.5ms", "3µs", "1.5s", Go's "1m30s", Android's "1s234ms") or as the next word ("5.665 ms",
// "in 300 seconds", "1000 MILLISECONDS"), or the number of a duration key ("took=12",
// "elapsed_ms: 3", "durationMs=40"). A mask already in the text ("<*>", "<*ms:e0>") is kept as
// it is, so masking a masked line changes nothing. `durations` (optional) receives the value in
// milliseconds of every duration that became a bucket, in order of appearance.
std::string MaskLogLine(std::string_view stripped, const LogMaskOptions& options = {},
                        std::vector<double>* durations = nullptr);

// StripLogHeader then MaskLogLine: the text the tokenizer and the model see.
std::string PrepareLogLine(std::string_view raw, const LogMaskOptions& options = {},
                           std::vector<double>* durations = nullptr);

// The statement a prepared line writes, without the magnitudes of its durations: every bucket
// token ("<*ms:e0.5>", "<*?:e1>", "<*ms:0>") becomes its unit mask ("<*ms>", "<*?>"). Lines of one
// statement whose durations differ share it.
std::string StatementOf(std::string_view prepared);

// The milliseconds in one token: a number with an attached time unit, or compound Go/Android
// durations ("1h2m3.5s", "1s234ms"). No value when the token is anything else ("500m" is not read
// as minutes: Kubernetes writes millicores that way).
std::optional<double> ParseDuration(std::string_view token);

// Milliseconds per unit for a time-unit word written after a number ("ms", "seconds",
// "MILLISECONDS", "µs"; case-insensitive); no value for other words.
std::optional<double> TimeUnitMs(std::string_view word);

// The bucket token of a duration in milliseconds: "<*ms:eK>" where K = floor(2·log10(ms)) / 2, so
// each bucket spans a factor of √10 ("<*ms:e0>" is 1–3.16 ms, "<*ms:e0.5>" 3.16–10 ms,
// "<*ms:e-3>" 1–3.16 µs); "<*ms:0>" for zero. `unit` replaces "ms" for a number whose unit is
// unknown ("took=12": "<*?:e1>").
std::string DurationToken(double ms, std::string_view unit = "ms");

}  // namespace augur::learn
