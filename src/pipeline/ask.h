// A question about one incident (seed 000's chatbot), for `augur incidents ask` and `augur serve`'s
// /api/incidents/ID/ask: the built-in answer from the record (explain::AnswerQuestion), or a
// language model's when an OpenAI-compatible endpoint is given, with the built-in answer as the
// fallback when the model fails.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "learn/llm_client.h"

namespace augur::pipeline {

struct Answer {
  std::string intent;   // what the built-in answerer took the question to ask
  std::string text;     // the answer
  std::string source;   // "augur", or the endpoint that answered
  std::string warning;  // why the model's answer is not used, when it failed
};

// An error only for an endpoint that cannot be used at all (a malformed URL).
Result<Answer> AskIncident(const nlohmann::json& incident, const std::string& question,
                           const learn::LlmClientOptions& llm);

// {"incident", "question", "intent", "answer", "source"}: what `augur incidents ask --json` prints
// and what `augur serve` answers (docs/cli.md).
nlohmann::json AnswerJson(int64_t incident, const std::string& question, const Answer& answer);

}  // namespace augur::pipeline
