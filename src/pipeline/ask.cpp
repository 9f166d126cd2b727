#include "pipeline/ask.h"

#include "explain/chat.h"

namespace augur::pipeline {

Result<Answer> AskIncident(const nlohmann::json& incident, const std::string& question,
                           const learn::LlmClientOptions& llm) {
  const explain::ChatAnswer builtin = explain::AnswerQuestion(incident, question);
  Answer a{builtin.intent, builtin.text, "augur", ""};
  if (llm.url.empty()) return a;
  auto client = learn::LlmClient::Create(llm);
  if (!client) return client.status();
  auto got = client->Complete({explain::ChatPrompt(incident, question)});
  if (got.front().ok) {
    a.text = got.front().text;
    a.source = client->endpoint();
  } else {
    a.warning = got.front().error + "; the built-in answer follows";
  }
  return a;
}

nlohmann::json AnswerJson(int64_t incident, const std::string& question, const Answer& answer) {
  return {{"incident", incident},
          {"question", question},
          {"intent", answer.intent},
          {"answer", answer.text},
          {"source", answer.source}};
}

}  // namespace augur::pipeline
