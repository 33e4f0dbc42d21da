// Model files: exact round trips, reproducible bytes, and a clear error for every kind of bad
// file; NumPy reads them (when python3 with numpy is installed). The writing itself is
// atomic_file_test's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "io/npz.hpp"
#include "simdml/model_file.hpp"
#include "temp_dir.hpp"

namespace simdml {
namespace {

using testing::read_bytes;
using testing::TempDir;

Network sample_network() {
  return make_network({6, 5, 4, 3}, {Activation::relu, Activation::tanh}, Loss::cross_entropy,
                      Init::he, 12);
}

std::string model_error(const std::filesystem::path& path) {
  try {
    load_model(path);
  } catch (const ModelFileError& e) {
    return e.what();
  }
  return "(no ModelFileError)";
}

TEST(ModelFile, RoundTripsExactly) {
  TempDir dir;
  const Network net = sample_network();
  save_model(net, dir / "m.npz");
  const Network back = load_model(dir / "m.npz");
  EXPECT_EQ(back.sizes, net.sizes);
  EXPECT_EQ(back.hidden, net.hidden);
  EXPECT_EQ(back.loss, net.loss);
  ASSERT_EQ(back.layers.size(), net.layers.size());
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    EXPECT_EQ(back.layers[l].weights, net.layers[l].weights);
    EXPECT_EQ(back.layers[l].biases, net.layers[l].biases);
  }
}

TEST(ModelFile, EqualNetworksGiveEqualBytes) {
  TempDir dir;
  save_model(sample_network(), dir / "a.npz");
  save_model(sample_network(), dir / "b.npz");
  EXPECT_EQ(read_bytes(dir / "a.npz"), read_bytes(dir / "b.npz"));
}

TEST(ModelFile, FailedWritesLeaveNothingBehind) {
  TempDir dir;
  EXPECT_THROW(save_model(sample_network(), dir / "missing-folder" / "m.npz"), std::runtime_error);
  EXPECT_THROW(save_model(sample_network(), dir.path()), std::runtime_error);  // a directory
  EXPECT_EQ(dir.file_count(), 0u);
  // Overwriting replaces the whole file and leaves no temporary.
  dir.write("m.npz", std::string(100000, 'x'));
  save_model(sample_network(), dir / "m.npz");
  EXPECT_EQ(dir.file_count(), 1u);
  EXPECT_NO_THROW(load_model(dir / "m.npz"));
}

// A model whose weights went NaN or infinite predicts nothing: every NaN output row picks class
// 0, which reads as an accuracy of about 10 %. Such a file is refused when it is loaded.
TEST(ModelFile, RejectsNonFiniteWeights) {
  TempDir dir;
  for (const float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    Network net = sample_network();
    net.layers[1].weights[7] = bad;
    save_model(net, dir / "bad.npz");
    const std::string message = model_error(dir / "bad.npz");
    EXPECT_NE(message.find("array 'weights_1' holds"), std::string::npos) << message;
    EXPECT_NE(message.find("at element 7"), std::string::npos) << message;
  }
  Network net = sample_network();
  net.layers[2].biases[0] = std::nanf("");
  save_model(net, dir / "bad.npz");
  EXPECT_NE(model_error(dir / "bad.npz").find("array 'biases_2' holds NaN"), std::string::npos);
}

// Finite weights so large that the outputs overflow: evaluate has no class to read and says so.
TEST(ModelFile, EvaluateRefusesOutputsThatAreNotFinite) {
  Network net = make_network({2, 3, 2}, {Activation::relu}, Loss::cross_entropy, Init::he, 1);
  for (float& w : net.layers[0].weights) w = 3e38f;
  for (float& w : net.layers[1].weights) w = 3e38f;
  Dataset data;
  data.name = "two";
  data.samples = 1, data.features = 2, data.classes = 2;
  data.x = {1.0f, 1.0f}, data.labels = {1};
  try {
    evaluate(net, data, Compute{});
    ADD_FAILURE() << "evaluate read a class from outputs that overflowed";
  } catch (const std::domain_error& e) {
    EXPECT_NE(std::string(e.what()).find("outputs for sample 0 of two are not finite"),
              std::string::npos)
        << e.what();
  }
}

TEST(ModelFile, RejectsTruncatedAndForeignFiles) {
  TempDir dir;
  save_model(sample_network(), dir / "m.npz");
  const std::string bytes = read_bytes(dir / "m.npz");
  for (const std::size_t keep :
       {std::size_t{0}, std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    const std::string message = model_error(dir.write("cut.npz", bytes.substr(0, keep)));
    EXPECT_NE(message.find("cut.npz"), std::string::npos) << message;
    EXPECT_NE(message, "(no ModelFileError)") << keep;
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 3] = static_cast<char>(flipped[bytes.size() / 3] ^ 0x40);
  EXPECT_NE(model_error(dir.write("flip.npz", flipped)).find("CRC"), std::string::npos);
  EXPECT_NE(model_error(dir.write("text.npz", "hello, not a model")).find("not a zip archive"),
            std::string::npos);
  EXPECT_NE(model_error(dir / "absent.npz").find("no such file"), std::string::npos);
  EXPECT_NE(model_error(dir.path()).find("is a directory"), std::string::npos);
}

// A deflated member whose header claims far more bytes than its compressed data can expand to is
// refused before any buffer of that size is made (found by the model fuzzer: 1.5 GB claimed).
TEST(ModelFile, RejectsImpossibleUncompressedSizes) {
  TempDir dir;
  save_model(sample_network(), dir / "m.npz");
  std::string bytes = read_bytes(dir / "m.npz");
  const std::size_t central = bytes.find("PK\x01\x02");
  ASSERT_NE(central, std::string::npos);
  bytes[central + 10] = 8;  // method: deflate
  const std::uint32_t claimed = 1'500'000'000;
  for (int i = 0; i < 4; ++i) bytes[central + 24 + i] = static_cast<char>(claimed >> (8 * i));
  const std::string message = model_error(dir.write("claims.npz", bytes));
  EXPECT_NE(message.find("claims 1500000000 bytes uncompressed"), std::string::npos) << message;
}

// Archives with one array changed, to reach the format checks behind the container.
io::NpzArchive sample_archive() {
  TempDir dir;
  save_model(sample_network(), dir / "m.npz");
  return io::decode_npz(read_bytes(dir / "m.npz"), "m.npz");
}

std::string archive_error(const io::NpzArchive& archive) {
  TempDir dir;
  return model_error(dir.write("edited.npz", io::encode_npz(archive)));
}

TEST(ModelFile, RejectsOtherVersionsAndNonModels) {
  io::NpzArchive archive = sample_archive();
  archive["simdml_model_version"].bytes[0] = 2;
  EXPECT_NE(archive_error(archive).find("model format version 2; this simdml reads version 1"),
            std::string::npos)
      << archive_error(archive);
  archive.erase("simdml_model_version");
  EXPECT_NE(archive_error(archive).find("not a simdml model file"), std::string::npos);
}

TEST(ModelFile, RejectsInconsistentShapes) {
  io::NpzArchive archive = sample_archive();
  archive["weights_1"].shape = {5, 4};  // transposed: (4, 5) expected
  EXPECT_NE(archive_error(archive).find("array 'weights_1' has shape (5, 4), expected (4, 5)"),
            std::string::npos)
      << archive_error(archive);
  archive = sample_archive();
  archive["biases_2"].shape = {2};
  archive["biases_2"].bytes.resize(8);
  EXPECT_NE(archive_error(archive).find("'biases_2' has shape (2,), expected (3,)"),
            std::string::npos);
  archive = sample_archive();
  archive.erase("weights_2");
  EXPECT_NE(archive_error(archive).find("no array 'weights_2'"), std::string::npos);
  archive = sample_archive();
  archive["weights_0"].descr = "<i8";
  archive["weights_0"].bytes.resize(5 * 6 * 8);
  EXPECT_NE(archive_error(archive).find("'weights_0' has dtype <i8"), std::string::npos);
  archive = sample_archive();
  archive["hidden_activations"].bytes[0] = 'x';  // "xelu"
  EXPECT_NE(archive_error(archive).find("unknown hidden activation 'xelu'"), std::string::npos);
  archive = sample_archive();
  archive["weights_0"].bytes.pop_back();  // data shorter than the shape
  EXPECT_NE(archive_error(archive).find("holds 119 data bytes; its shape needs 120"),
            std::string::npos)
      << archive_error(archive);
}

// NumPy loads the file without pickle and its forward pass (network.py's feedforward, batched)
// matches simdml's predictions.
TEST(ModelFile, NumpyReadsItAndComputesTheSameOutputs) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no python3 with numpy (Debian: python3-numpy, pulled in by python3-scipy)";
  TempDir dir;
  const Network net = sample_network();
  save_model(net, dir / "m.npz");
  std::vector<float> x(2 * 6), out(2 * 3);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1f * static_cast<float>(i);
  predict(net, x.data(), 2, out.data(), Compute{});
  dir.write("x.f32", std::string(reinterpret_cast<const char*>(x.data()), x.size() * 4));
  dir.write("out.f32", std::string(reinterpret_cast<const char*>(out.data()), out.size() * 4));
  dir.write("check.py", R"(
import sys, numpy as np
folder = sys.argv[1]
m = np.load(folder + '/m.npz', allow_pickle=False)
assert int(m['simdml_model_version']) == 1
a = np.fromfile(folder + '/x.f32', dtype='<f4').reshape(2, -1).astype(np.float64)
act = {'relu': lambda z: np.maximum(z, 0), 'tanh': np.tanh, 'sigmoid': lambda z: 1 / (1 + np.exp(-z))}
layers = len(m['sizes']) - 1
for l in range(layers):
    z = a @ m['weights_%d' % l].T + m['biases_%d' % l]
    if l < layers - 1:
        a = act[str(m['hidden_activations'][l])](z)
    elif str(m['loss']) == 'cross-entropy':
        e = np.exp(z - z.max(axis=1, keepdims=True)); a = e / e.sum(axis=1, keepdims=True)
    else:
        a = act['sigmoid'](z)
expected = np.fromfile(folder + '/out.f32', dtype='<f4').reshape(a.shape)
sys.exit(0 if np.allclose(a, expected, rtol=1e-5, atol=1e-6) else 1)
)");
  const std::string command =
      "/usr/bin/python3 " + (dir / "check.py").string() + " " + dir.path().string();
  EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace simdml
