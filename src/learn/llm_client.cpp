#include "learn/llm_client.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "core/url.h"

namespace augur::learn {
namespace {

struct ParsedUrl {
  std::string scheme_host_port;  // what httplib::Client takes
  std::string path;              // the completions endpoint's path
};

Result<ParsedUrl> ParseUrl(const std::string& url) {
  auto u = ParseHttpUrl(url);
  if (!u) {
    std::string why = u.message();
    if (why.starts_with("credentials")) why += " (use AUGUR_LLM_API_KEY)";
    return Result<ParsedUrl>::Error(fmt::format("--llm-url \"{}\": {}", url, why));
  }
  std::string path = u->path;
  const auto ends = [&](std::string_view s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (!ends("/completions")) path += ends("/v1") ? "/completions" : "/v1/completions";
  return ParsedUrl{u->SchemeHostPort(), path};
}

}  // namespace

Status LlmClientOptions::Validate() const {
  if (url.empty()) return Status::Error("llm: no URL");
  if (!(timeout_s > 0)) return Status::Error("llm: timeout must be positive");
  if (concurrency < 1 || concurrency > 256)
    return Status::Error("llm: concurrency must be between 1 and 256");
  if (max_tokens < 1) return Status::Error("llm: max_tokens must be at least 1");
  if (!(temperature >= 0)) return Status::Error("llm: temperature must be >= 0");
  if (retries < 0) return Status::Error("llm: retries must be >= 0");
  auto p = ParseUrl(url);
  return p ? Status::Ok() : p.status();
}

struct LlmClient::Impl {
  LlmClientOptions opt;
  ParsedUrl url;
  std::string endpoint;

  std::string Describe(httplib::Error err) const {
    switch (err) {
      case httplib::Error::Connection:
        return "cannot connect (is the server running on that host and port?)";
      case httplib::Error::ConnectionTimeout:
        return fmt::format("no connection within {} s", opt.timeout_s);
      case httplib::Error::Read:
        return fmt::format("no complete answer within {} s (timed out or connection closed)",
                           opt.timeout_s);
      case httplib::Error::Write:
        return "connection closed while sending the request";
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLServerVerification:
      case httplib::Error::SSLLoadingCerts:
        return "TLS failure (" + httplib::to_string(err) + ")";
      default:
        return "request failed (" + httplib::to_string(err) + ")";
    }
  }

  LlmCompletion One(httplib::Client& cli, const std::string& prompt) const {
    nlohmann::json req = {{"prompt", prompt},
                          {"max_tokens", opt.max_tokens},
                          {"temperature", opt.temperature},
                          {"stream", false}};
    if (!opt.model.empty()) req["model"] = opt.model;
    // Invalid UTF-8 in a log line must not stop the request: replace it.
    const std::string body = req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    httplib::Headers headers;
    if (!opt.api_key.empty()) headers.emplace("Authorization", "Bearer " + opt.api_key);
    LlmCompletion out;
    for (int attempt = 0;; ++attempt) {
      auto res = cli.Post(url.path, headers, body, "application/json");
      if (!res) {
        const auto err = res.error();
        out.error = fmt::format("{}: {}", endpoint, Describe(err));
        // A timed-out request is not repeated: the server is busy, and repeating doubles the load.
        if (attempt < opt.retries && err == httplib::Error::Connection) continue;
        return out;
      }
      if (res->status != 200) {
        std::string snippet = CutUtf8(res->body, 200);
        std::replace(snippet.begin(), snippet.end(), '\n', ' ');
        out.error = fmt::format("{}: HTTP {}{}{}", endpoint, res->status,
                                snippet.empty() ? "" : ": ", snippet);
        if (attempt < opt.retries && res->status >= 500) continue;
        return out;
      }
      auto text = ParseCompletionResponse(res->body);
      if (!text) {
        out.error = endpoint + ": " + text.message();
        return out;
      }
      out.ok = true;
      out.text = std::move(*text);
      return out;
    }
  }

  std::unique_ptr<httplib::Client> MakeClient() const {
    auto cli = std::make_unique<httplib::Client>(url.scheme_host_port);
    const auto secs = static_cast<time_t>(std::floor(opt.timeout_s));
    const auto usecs = static_cast<time_t>((opt.timeout_s - static_cast<double>(secs)) * 1e6);
    cli->set_connection_timeout(secs, usecs);
    cli->set_read_timeout(secs, usecs);
    cli->set_write_timeout(secs, usecs);
    // Without it every small request waits ~40 ms for Nagle's algorithm.
    cli->set_tcp_nodelay(true);
    cli->set_keep_alive(true);
    return cli;
  }
};

LlmClient::LlmClient() : impl_(std::make_unique<Impl>()) {}
LlmClient::LlmClient(LlmClient&&) noexcept = default;
LlmClient& LlmClient::operator=(LlmClient&&) noexcept = default;
LlmClient::~LlmClient() = default;

Result<LlmClient> LlmClient::Create(const LlmClientOptions& options) {
  if (auto st = options.Validate(); !st) return st;
  auto url = ParseUrl(options.url);
  if (!url) return url.status();
  LlmClient c;
  c.impl_->opt = options;
  c.impl_->url = *url;
  c.impl_->endpoint = url->scheme_host_port + url->path;
  if (!httplib::Client(url->scheme_host_port).is_valid())
    return Result<LlmClient>::Error("--llm-url \"" + options.url + "\": unusable URL");
  return c;
}

const std::string& LlmClient::endpoint() const {
  return impl_->endpoint;
}
const LlmClientOptions& LlmClient::options() const {
  return impl_->opt;
}

std::vector<LlmCompletion> LlmClient::Complete(const std::vector<std::string>& prompts) const {
  std::vector<LlmCompletion> out(prompts.size());
  if (prompts.empty()) return out;
  const size_t workers = std::min<size_t>(prompts.size(), impl_->opt.concurrency);
  std::atomic<size_t> next{0};
  auto work = [&] {
    // One connection per worker, kept alive across its requests.
    auto cli = impl_->MakeClient();
    for (size_t i = next++; i < prompts.size(); i = next++) {
      try {
        out[i] = impl_->One(*cli, prompts[i]);
      } catch (const std::exception& e) {
        out[i].ok = false;
        out[i].error = impl_->endpoint + ": " + e.what();
      }
    }
  };
  if (workers == 1) {
    work();
    return out;
  }
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  return out;
}

Result<std::string> ParseCompletionResponse(std::string_view body) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const std::exception& e) {
    return Result<std::string>::Error(std::string("answer is not JSON: ") + e.what());
  }
  if (!j.is_object()) return Result<std::string>::Error("answer is not a JSON object");
  if (j.contains("error")) {
    const auto& e = j["error"];
    std::string msg = e.is_object() && e.contains("message") && e["message"].is_string()
                          ? e["message"].get<std::string>()
                          : e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return Result<std::string>::Error("server error: " + msg);
  }
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty())
    return Result<std::string>::Error("answer has no \"choices\"");
  const auto& c = (*choices)[0];
  if (!c.is_object()) return Result<std::string>::Error("choices[0] is not an object");
  auto text = c.find("text");
  if (text != c.end() && text->is_string()) return text->get<std::string>();
  // Some servers answer a completion request in the chat shape.
  auto msg = c.find("message");
  if (msg != c.end() && msg->is_object() && msg->contains("content") &&
      (*msg)["content"].is_string())
    return (*msg)["content"].get<std::string>();
  return Result<std::string>::Error("choices[0] has no \"text\" string");
}

std::vector<std::string> CompletionLines(std::string_view text, size_t max_lines) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size() && out.size() < max_lines) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view line = text.substr(i, j - i);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) out.emplace_back(line);
    i = j + 1;
  }
  return out;
}

std::string CompletionPrompt(const std::vector<std::string>& lines) {
  std::string p;
  for (const auto& l : lines) {
    // A line break inside a record would read as two lines to the model.
    for (char c : l) p += (c == '\n' || c == '\r') ? ' ' : c;
    p += '\n';
  }
  return p;
}

}  // namespace augur::learn
