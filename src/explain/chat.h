// Questions about one incident, answered from its record (seed 000's chatbot). The built-in
// answerer is deterministic and grounded: it recognises what is asked (which service, why, what
// kind of fault, when, what else is affected, how sure, what to do) and answers with the record's
// own figures and evidence. With a language model (`augur incidents ask --llm-url`), ChatPrompt
// gives the model the same record to answer from.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace augur::explain {

struct ChatAnswer {
  // What the question was taken to ask: origin, why, type, when, impact, confidence, action,
  // service (about one service it names, other than the most probable origin), or overview (not
  // recognised: the summary and the questions it can answer).
  std::string intent;
  std::string text;
};

// `incident`: one incident as incident.json writes it (docs/incident-schema.md); fields it lacks
// are left out of the answer, never invented.
ChatAnswer AnswerQuestion(const nlohmann::json& incident, std::string_view question);

// A completion prompt for an OpenAI-compatible model: instructions, a compact copy of the
// incident's record (the first five ranked services, the strongest eight anomalies, two evidence
// lines each, strings cut at 160 characters) and the question, ending where the answer begins.
std::string ChatPrompt(const nlohmann::json& incident, std::string_view question);

}  // namespace augur::explain
