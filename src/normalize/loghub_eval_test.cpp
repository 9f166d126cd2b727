#include "normalize/loghub_eval.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/testing.h"

namespace augur::normalize {
namespace {

namespace fs = std::filesystem;

// Line i of a four-line level-anchored log.
std::string LogLine(int i) {
  std::string content = i % 2 ? "closed session " + std::to_string(i)
                              : "opened session " + std::to_string(i) + " for \"u, v\"";
  return "2026-01-01 00:00:0" + std::to_string(i) + " INFO " + content + "\n";
}

// The four lines and their truth; `extra` is appended to the log.
void WriteSet(const fs::path& dir, const std::string& stem, const std::string& extra = "") {
  std::string log, truth = "LineId,Level,Content,EventId,EventTemplate\n";
  for (int i = 0; i < 4; ++i) {
    log += LogLine(i);
    truth += std::to_string(i + 1) + ",INFO,\"" +
             (i % 2 ? "closed session " + std::to_string(i)
                    : "opened session " + std::to_string(i) + " for \"\"u, v\"\"") +
             "\"," +
             (i % 2 ? "E2,closed session <*>" : "E1,\"opened session <*> for \"\"u, v\"\"\"") +
             "\n";
  }
  testing::WriteFile(dir / (stem + ".log"), log + extra);
  testing::WriteFile(dir / (stem + ".log_structured.csv"), truth);
}

TEST(LoghubEval, FindsSetsOfAnyTagAndNamesThemApart) {
  testing::TempDir dir;
  WriteSet(dir.path() / "Apache", "Apache_2k");
  WriteSet(dir.path() / "Apache", "Apache_full");
  WriteSet(dir.path() / "Mac", "Mac_full");
  testing::WriteFile(dir.path() / "Mac" / "notes.log", "no truth beside this one\n");
  auto sets = FindLoghubSets(dir.path());
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].name, "Apache_2k");
  EXPECT_EQ(sets[1].name, "Apache_full");
  EXPECT_EQ(sets[2].name, "Mac");
  EXPECT_EQ(sets[2].tag, "full");
  // One system's folder, or one file.
  EXPECT_EQ(FindLoghubSets(dir.path() / "Mac").size(), 1u);
  auto one = FindLoghubSets(dir.path() / "Apache" / "Apache_full.log");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].name, "Apache");
  EXPECT_TRUE(FindLoghubSets(dir.path() / "missing").empty());
}

TEST(LoghubEval, StreamsBothFilesAndScores) {
  testing::TempDir dir;
  WriteSet(dir.path(), "Demo_full");
  auto sets = FindLoghubSets(dir.path());
  ASSERT_EQ(sets.size(), 1u);
  auto r = EvaluateLoghubSet(sets[0], {});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->scores.lines, 4u);
  EXPECT_EQ(r->scores.templates_truth, 2u);
  EXPECT_DOUBLE_EQ(r->header_agreement, 1.0);
  EXPECT_DOUBLE_EQ(r->scores.ga, 1.0);
  EXPECT_EQ(r->truth_file, "Demo_full.log_structured.csv");
}

TEST(LoghubEval, LinesTheTruthDroppedAreSkippedNotScored) {
  // LogHub-2.0's parser drops lines its log format does not match: a stack trace's continuation
  // lines between rows and after the last (before the first: below).
  testing::TempDir dir;
  WriteSet(dir.path(), "Clean_full");
  WriteSet(dir.path(), "Gaps_full");
  const std::string trace = "\tat org.example.Session.close(Session.java:42)\n";
  testing::WriteFile(dir.path() / "Gaps_full.log",
                     LogLine(0) + LogLine(1) + trace + LogLine(2) + LogLine(3) + trace);
  auto clean = EvaluateLoghubSet(FindLoghubSets(dir.path() / "Clean_full.log")[0], {});
  auto gaps = EvaluateLoghubSet(FindLoghubSets(dir.path() / "Gaps_full.log")[0], {});
  ASSERT_TRUE(clean.ok()) << clean.message();
  ASSERT_TRUE(gaps.ok()) << gaps.message();
  EXPECT_EQ(clean->lines_skipped, 0u);
  EXPECT_EQ(gaps->lines_skipped, 2u);
  EXPECT_EQ(gaps->scores.lines, 4u);
  EXPECT_DOUBLE_EQ(gaps->header_agreement, 1.0);
  EXPECT_DOUBLE_EQ(gaps->scores.ga, clean->scores.ga);
  EXPECT_DOUBLE_EQ(gaps->scores.pa, clean->scores.pa);
}

TEST(LoghubEval, RowsWhoseContentIsNotInTheLogKeepTheOrder) {
  // A row whose Content was edited in the truth matches no line: it takes the next line, and the
  // rows after it stay lined up.
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "Edit_2k.log", "x\nalpha 1\nbeta 2\nextra\ngamma 3\n");
  testing::WriteFile(dir.path() / "Edit_2k.log_structured.csv",
                     "LineId,Content,EventTemplate\n1,alpha 1,alpha <*>\n2,BETA two,beta <*>\n"
                     "3,gamma 3,gamma <*>\n");
  auto r = EvaluateLoghubSet(FindLoghubSets(dir.path())[0], {});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->lines_skipped, 2u);
  EXPECT_EQ(r->scores.lines, 3u);
  EXPECT_NEAR(r->header_agreement, 2.0 / 3, 1e-9);
}

TEST(LoghubEval, FewerLinesThanRowsNamesBothFiles) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "Short_2k.log", "2026-01-01 00:00:00 INFO opened session 0\n");
  testing::WriteFile(dir.path() / "Short_2k.log_structured.csv",
                     "LineId,Content,EventTemplate\n1,a,a\n2,b,b\n");
  auto s = EvaluateLoghubSet(FindLoghubSets(dir.path() / "Short_2k.log")[0], {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Short_2k.log: 1 lines but"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("has 2 rows"), std::string::npos) << s.message();
}

TEST(LoghubEval, BadTruthRowIsNamed) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "Bad_2k.log", "a\nb\n");
  testing::WriteFile(dir.path() / "Bad_2k.log_structured.csv",
                     "LineId,Content,EventTemplate\n1,a,a\n2,b\n");
  auto r = EvaluateLoghubSet(FindLoghubSets(dir.path())[0], {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("Bad_2k.log_structured.csv:3: 2 fields, header has 3"),
            std::string::npos)
      << r.message();
  testing::WriteFile(dir.path() / "Bad_2k.log_structured.csv", "LineId,Text\n1,a\n2,b\n");
  auto h = EvaluateLoghubSet(FindLoghubSets(dir.path())[0], {});
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.message().find(":1: header lacks Content or EventTemplate"), std::string::npos);
}

}  // namespace
}  // namespace augur::normalize
