#include "common/strict_yaml.h"

#include <gtest/gtest.h>

#include "common/seeded_rng.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(StrictYaml, UnknownKeyNamesFileLineAndKey) {
  const auto y = StrictYaml::load_string("a: 1\nb:\n  c: 2\n  typo: 3\n", "cfg.yaml");
  EXPECT_EQ(y.get<int>("a"), 1);
  const auto b = y.child("b");
  EXPECT_EQ(b.get<int>("c"), 2);
  const std::string e = error_of([&] { b.reject_unknown_keys(); });
  EXPECT_NE(e.find("cfg.yaml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("b.typo"), std::string::npos) << e;
  EXPECT_NO_THROW(y.reject_unknown_keys());
}

TEST(StrictYaml, SyntaxErrorAndWrongTypeAreInputErrors) {
  const std::string syntax =
      error_of([] { StrictYaml::load_string("a: [1, 2\nb: 3\n", "bad.yaml"); });
  EXPECT_NE(syntax.find("bad.yaml:"), std::string::npos) << syntax;
  const auto y = StrictYaml::load_string("n: hello\n", "t.yaml");
  const std::string type = error_of([&] { y.get<int>("n"); });
  EXPECT_NE(type.find("'n'"), std::string::npos) << type;
  EXPECT_NE(error_of([&] { y.get<int>("missing"); }).find("missing"), std::string::npos);
  EXPECT_NE(error_of([] { StrictYaml::load_file("/no/such/file.yaml"); }).find("not found"),
            std::string::npos);
}

TEST(StrictYaml, DuplicateKeyNamesFileLineAndKeyPath) {
  const std::string top = error_of([] { StrictYaml::load_string("a: 1\nb: 2\na: 3\n", "d.yaml"); });
  EXPECT_NE(top.find("d.yaml:3: key 'a': duplicate key"), std::string::npos) << top;
  const std::string nested =
      error_of([] { StrictYaml::load_string("list:\n  - x: 1\n    y: 2\n    x: 3\n", "n.yaml"); });
  EXPECT_NE(nested.find("n.yaml:4: key 'list[0].x': duplicate key"), std::string::npos) << nested;
  EXPECT_EQ(error_of([] { StrictYaml::load_string("a: {x: 1}\nb: {x: 2}\n", "ok.yaml"); }), "");
}

TEST(StrictYaml, NumbersMustBeFinite) {
  const auto y = StrictYaml::load_string(
      "a: .nan\nb: -.inf\nc: [1, .NaN]\nd: 1.5\ne: [2, 3]\nf: 1e999\n", "f.yaml");
  EXPECT_NE(error_of([&] { y.get<double>("a"); }).find("f.yaml:1: key 'a'"), std::string::npos);
  EXPECT_NE(error_of([&] { y.get<double>("b"); }).find("must be a finite number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { y.get<std::vector<double>>("c"); }).find("must be a finite number"),
            std::string::npos);
  // An overflowing literal is refused too (yaml-cpp calls it a wrong type).
  EXPECT_NE(error_of([&] { y.get_or<double>("f", 0.0); }).find("f.yaml:6: key 'f'"),
            std::string::npos);
  EXPECT_EQ(y.get<double>("d"), 1.5);
  EXPECT_EQ(y.get<std::vector<double>>("e"), (std::vector<double>{2, 3}));
}

TEST(StrictYaml, KeysArePlainNamesAndTreesStaySmall) {
  // Found by the scene-set fuzz target: a `? {a: 1}` key made the key
  // lookup throw yaml-cpp's conversion error (exit 1, no file or line).
  const std::string complex =
      error_of([] { StrictYaml::load_string("name: c\n? height_m: 0.34\n", "k.yaml"); });
  EXPECT_NE(complex.find("k.yaml:2:"), std::string::npos) << complex;
  EXPECT_NE(complex.find("a key must be a plain name, not a mapping"), std::string::npos)
      << complex;
  EXPECT_NE(error_of([] {
              StrictYaml::load_string("? [1, 2]\n: x\n", "l.yaml");
            }).find("a key must be a plain name"),
            std::string::npos);
  // Nesting and alias expansion are bounded (an alias bomb is refused, not walked).
  std::string deep = "a: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  EXPECT_NE(error_of([&] {
              StrictYaml::load_string(deep + "\n", "deep.yaml");
            }).find("nested more than 64 levels deep"),
            std::string::npos);
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 0; k < 9; ++k) bomb += ", " + prev;
    bomb += "]\n";
  }
  EXPECT_NE(error_of([&] { StrictYaml::load_string(bomb, "bomb.yaml"); }).find("YAML nodes"),
            std::string::npos);
}

TEST(StrictYaml, ADirectoryIsNamedAsOne) {
  const auto dir = fixtures::fresh_temp_dir("strict_yaml_dir");
  const std::string e = error_of([&] { StrictYaml::load_file(dir); });
  EXPECT_NE(e.find(dir.string() + ": is a directory"), std::string::npos) << e;
}

TEST(SeededRng, DeterministicAndLabelSensitive) {
  SeededRng a(derive_seed(1, "trial/0")), b(derive_seed(1, "trial/0")),
      c(derive_seed(1, "trial/1"));
  double sum = 0;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.uniform();
    EXPECT_EQ(x, b.uniform());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
    sum += x;
  }
  EXPECT_NEAR(sum / 1000, 0.5, 0.05);
  EXPECT_NE(a.next_u64(), c.next_u64());
  EXPECT_NE(derive_seed(1, "x"), derive_seed(2, "x"));
}

}  // namespace
}  // namespace dffeval
