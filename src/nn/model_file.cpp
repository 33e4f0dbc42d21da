#include "simdml/model_file.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "io/npz.hpp"
#include "simdml/atomic_file.hpp"

namespace simdml {
namespace {

using io::NpyArray;
using io::NpzArchive;

constexpr std::size_t kNameChars = 13;  // "cross-entropy"
constexpr std::uintmax_t kMaxModelBytes = std::uintmax_t{4} << 30;

NpyArray int64_array(const std::vector<std::int64_t>& values, bool scalar = false) {
  NpyArray a{
      "<i8",
      scalar ? std::vector<std::int64_t>{} : std::vector<std::int64_t>{std::int64_t(values.size())},
      {}};
  a.bytes.resize(values.size() * 8);
  for (std::size_t i = 0; i < values.size(); ++i)
    for (int b = 0; b < 8; ++b)
      a.bytes[i * 8 + b] = static_cast<char>(static_cast<std::uint64_t>(values[i]) >> (8 * b));
  return a;
}

NpyArray float_array(const std::vector<float>& values, std::vector<std::int64_t> shape) {
  static_assert(std::endian::native == std::endian::little, "npy <f4 is little-endian");
  NpyArray a{"<f4", std::move(shape), std::string(values.size() * 4, '\0')};
  std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
  return a;
}

NpyArray text_array(const std::vector<std::string_view>& values, bool scalar = false) {
  NpyArray a{
      "<U" + std::to_string(kNameChars),
      scalar ? std::vector<std::int64_t>{} : std::vector<std::int64_t>{std::int64_t(values.size())},
      {}};
  a.bytes.assign(values.size() * kNameChars * 4, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    for (std::size_t c = 0; c < values[i].size() && c < kNameChars; ++c)
      a.bytes[(i * kNameChars + c) * 4] = values[i][c];
  return a;
}

// Reads the arrays back, each checked against the shape the format promises.
class ModelReader {
 public:
  ModelReader(NpzArchive archive, std::string source)
      : archive_(std::move(archive)), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw ModelFileError(source_ + ": " + what);
  }

  const NpyArray& get(const std::string& name, std::string_view descr_prefix,
                      std::vector<std::int64_t> shape) const {
    const auto it = archive_.find(name);
    if (it == archive_.end()) fail("no array '" + name + "'");
    const NpyArray& a = it->second;
    if (a.descr.rfind(descr_prefix, 0) != 0) fail("array '" + name + "' has dtype " + a.descr);
    if (shape != a.shape)
      fail("array '" + name + "' has shape " + shape_text(a.shape) + ", expected " +
           shape_text(shape));
    return a;
  }
  const NpyArray& get_vector(const std::string& name, std::string_view descr_prefix) const {
    const auto it = archive_.find(name);
    if (it == archive_.end() || it->second.shape.size() != 1)
      fail("no one-dimensional array '" + name + "'");
    return get(name, descr_prefix, it->second.shape);
  }
  std::vector<std::int64_t> int64s(const NpyArray& a) const {
    std::vector<std::int64_t> out(static_cast<std::size_t>(a.count()));
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::uint64_t v = 0;
      for (int b = 7; b >= 0; --b) v = v << 8 | static_cast<unsigned char>(a.bytes[i * 8 + b]);
      out[i] = static_cast<std::int64_t>(v);
    }
    return out;
  }
  std::vector<std::string> texts(const NpyArray& a) const {
    const std::size_t chars =
        a.bytes.size() / 4 / std::max<std::size_t>(1, static_cast<std::size_t>(a.count()));
    std::vector<std::string> out(static_cast<std::size_t>(a.count()));
    for (std::size_t i = 0; i < out.size(); ++i)
      for (std::size_t c = 0; c < chars; ++c) {
        const char* p = a.bytes.data() + (i * chars + c) * 4;
        if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) break;
        out[i] += (p[1] == 0 && p[2] == 0 && p[3] == 0 && p[0] > 0) ? p[0] : '?';
      }
    return out;
  }
  // A NaN or infinite weight would make every prediction garbage (NaN outputs pick class 0).
  std::vector<float> finite_floats(const NpyArray& a, const std::string& name) const {
    std::vector<float> out(static_cast<std::size_t>(a.count()));
    std::memcpy(out.data(), a.bytes.data(), out.size() * 4);
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!std::isfinite(out[i]))
        fail("array '" + name + "' holds " + (std::isnan(out[i]) ? "NaN" : "an infinity") +
             " at element " + std::to_string(i) + " (a diverged or damaged model)");
    return out;
  }
  bool has(const std::string& name) const { return archive_.contains(name); }

 private:
  static std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
  }
  NpzArchive archive_;
  std::string source_;
};

std::string read_whole_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ModelFileError(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw ModelFileError(path.string() + ": is a directory, not a file");
  if (!std::filesystem::is_regular_file(path, ec))
    throw ModelFileError(path.string() + ": is not a regular file (a FIFO, a device or a socket)");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxModelBytes)
    throw ModelFileError(path.string() + ": larger than a model file can be (4 GiB)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelFileError(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw ModelFileError(path.string() + ": read error");
  return std::move(bytes).str();
}

}  // namespace

void save_model(const Network& net, const std::filesystem::path& path) {
  NpzArchive archive;
  archive["simdml_model_version"] = int64_array({kModelFormatVersion}, true);
  archive["sizes"] = int64_array(net.sizes);
  std::vector<std::string_view> hidden;
  for (Activation a : net.hidden) hidden.push_back(activation_name(a));
  archive["hidden_activations"] = text_array(hidden);
  archive["loss"] = text_array({loss_name(net.loss)}, true);
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const Layer& layer = net.layers[l];
    archive["weights_" + std::to_string(l)] =
        float_array(layer.weights, {layer.outputs, layer.inputs});
    archive["biases_" + std::to_string(l)] = float_array(layer.biases, {layer.outputs});
  }
  write_file_atomically(path, io::encode_npz(archive));
}

Network load_model(const std::filesystem::path& path) {
  const std::string source = path.string();
  NpzArchive archive;
  try {
    archive = io::decode_npz(read_whole_file(path), source);
  } catch (const io::NpzError& e) {
    throw ModelFileError(std::string(e.what()) + " (not a simdml model file?)");
  }
  const ModelReader r(std::move(archive), source);
  if (!r.has("simdml_model_version"))
    r.fail("not a simdml model file (no simdml_model_version array)");
  const std::int64_t version = r.int64s(r.get("simdml_model_version", "<i8", {}))[0];
  if (version != kModelFormatVersion)
    r.fail("model format version " + std::to_string(version) + "; this simdml reads version " +
           std::to_string(kModelFormatVersion));

  const std::vector<std::int64_t> sizes = r.int64s(r.get_vector("sizes", "<i8"));
  if (sizes.size() < 2 || sizes.size() > 1000) r.fail("'sizes' must list 2 to 1000 layer sizes");
  const auto layers = static_cast<std::int64_t>(sizes.size()) - 1;
  std::vector<Activation> hidden;
  for (const std::string& name : r.texts(r.get("hidden_activations", "<U", {layers - 1}))) {
    const auto a = parse_activation(name);
    if (!a) r.fail("unknown hidden activation '" + name + "'");
    hidden.push_back(*a);
  }
  const std::string loss_text = r.texts(r.get("loss", "<U", {}))[0];
  const auto loss = parse_loss(loss_text);
  if (!loss) r.fail("unknown loss '" + loss_text + "'");
  try {
    validate_architecture(sizes, hidden);
  } catch (const std::invalid_argument& e) {
    r.fail(e.what());
  }
  Network net{sizes, hidden, *loss, {}};
  for (std::int64_t l = 0; l < layers; ++l) {
    const std::string suffix = std::to_string(l);
    const std::int64_t in = sizes[static_cast<std::size_t>(l)],
                       out = sizes[static_cast<std::size_t>(l) + 1];
    const std::string weights = "weights_" + suffix, biases = "biases_" + suffix;
    net.layers.push_back(Layer{in, out, r.finite_floats(r.get(weights, "<f4", {out, in}), weights),
                               r.finite_floats(r.get(biases, "<f4", {out}), biases)});
  }
  if (r.has("weights_" + std::to_string(layers)))
    r.fail("holds more weight arrays than 'sizes' describes");
  return net;
}

}  // namespace simdml
