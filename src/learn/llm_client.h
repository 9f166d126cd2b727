// A client for OpenAI-compatible text-completion endpoints (llama.cpp's server, Ollama, vLLM): the
// log language model's optional generator when a user serves a real LLM (seed 000: Llama-3).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace augur::learn {

struct LlmClientOptions {
  // Base URL (http://host:port, optionally ending in /v1 or /v1/completions): completions are
  // POSTed to <base>/v1/completions unless the URL already names the endpoint.
  std::string url;
  std::string model;       // the request's "model" field (servers with one model ignore it)
  double timeout_s = 60;   // per request: connect, send and receive each
  int concurrency = 4;     // requests in flight at once
  int max_tokens = 256;    // completion length cap (10 log lines)
  double temperature = 0;  // 0: greedy, reproducible
  int retries = 1;  // extra tries after a connection failure or a 5xx answer; never after a timeout
  // Sent as "Authorization: Bearer <key>" when not empty (hosted endpoints).
  std::string api_key;
  Status Validate() const;
};

// One completion: the text, or why there is none (URL and reason).
struct LlmCompletion {
  bool ok = false;
  std::string text;
  std::string error;
};

class LlmClient {
 public:
  // Fails on a URL it cannot use (scheme, host, port), naming it.
  static Result<LlmClient> Create(const LlmClientOptions& options);
  LlmClient(LlmClient&&) noexcept;
  LlmClient& operator=(LlmClient&&) noexcept;
  ~LlmClient();

  // Completes every prompt, `concurrency` requests at a time; the answers keep the prompts' order.
  // Never throws: each failure is described in its LlmCompletion.
  std::vector<LlmCompletion> Complete(const std::vector<std::string>& prompts) const;
  // The endpoint requests go to, e.g. "http://127.0.0.1:8080/v1/completions".
  const std::string& endpoint() const;
  const LlmClientOptions& options() const;

 private:
  LlmClient();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The completion text of an OpenAI /v1/completions response body (choices[0].text), or an error
// saying what is wrong with it (not JSON, an "error" object, no choices).
Result<std::string> ParseCompletionResponse(std::string_view body);

// A completion cut back into log lines: split at newlines, trailing '\r' and blank lines dropped,
// at most `max_lines` kept (the model may write on past the block).
std::vector<std::string> CompletionLines(std::string_view text, size_t max_lines);

// The prompt for a block: the previous lines, one per line, ending with a newline so the model
// starts the next line.
std::string CompletionPrompt(const std::vector<std::string>& lines);

}  // namespace augur::learn
