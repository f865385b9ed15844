// Tensor lifecycle, argument decoding, creation, host copies, autograd and runtime settings.
#include "box.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <cstring>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/version.h>

namespace tsnas {

std::unordered_set<Box*>& liveBoxes() {
  static std::unordered_set<Box*> boxes;
  return boxes;
}

static int64_t storageBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return 0;
  return static_cast<int64_t>(t.storage().nbytes());
}

void release(Napi::BasicEnv env, Box* box) {
  if (!box->alive) return;
  box->alive = false;
  box->t = at::Tensor();
  if (box->bytes) Napi::MemoryManagement::AdjustExternalMemory(env, -box->bytes);
  box->bytes = 0;
  liveBoxes().erase(box);
}

// A basic finalizer: it runs inside garbage collection, not deferred to the event loop, so a
// synchronous training loop that never yields does not pile up the boxes of disposed handles.
// It may not call into JavaScript; releasing a tensor and adjusting external memory are allowed.
static void finalize(Napi::BasicEnv env, Box* box) {
  release(env, box);
  delete box;
}

Napi::Value wrap(Napi::Env env, at::Tensor t) {
  Box* box = new Box{std::move(t), 0, true};
  // Only CPU bytes pressure V8's heap; device memory is not its business.
  if (box->t.defined() && box->t.device().is_cpu()) {
    box->bytes = storageBytes(box->t);
    if (box->bytes) Napi::MemoryManagement::AdjustExternalMemory(env, box->bytes);
  }
  liveBoxes().insert(box);
  return Napi::External<Box>::New(env, box, finalize);
}

static Box* boxArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsExternal())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " is not a tensor handle");
  Box* box = info[i].As<Napi::External<Box>>().Data();
  if (!box->alive)
    throw Napi::Error::New(info.Env(), "tensor was disposed and cannot be used any more");
  return box;
}

at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i) { return boxArg(info, i)->t; }

c10::optional<at::Tensor> optTensorArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return tensorArg(info, i);
}

std::vector<at::Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " is not an array of tensors");
  auto arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr[k];
    if (!v.IsExternal()) throw Napi::TypeError::New(info.Env(), "tensor list holds a non-tensor");
    Box* box = v.As<Napi::External<Box>>().Data();
    if (!box->alive) throw Napi::Error::New(info.Env(), "tensor was disposed and cannot be used any more");
    out.push_back(box->t);
  }
  return out;
}

double numArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " is not a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> optNumArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return numArg(info, i);
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " is not an integer");
  return info[i].As<Napi::Number>().Int64Value();
}

bool boolArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) return false;
  return info[i].ToBoolean().Value();
}

std::string strArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " is not a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " is not an array of integers");
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out[k] = Napi::Value(arr[k]).As<Napi::Number>().Int64Value();
  return out;
}

at::ScalarType dtypeFromName(const std::string& n) {
  if (n == "float32") return at::kFloat;
  if (n == "float64") return at::kDouble;
  if (n == "int64") return at::kLong;
  if (n == "int32") return at::kInt;
  if (n == "uint8") return at::kByte;
  if (n == "bool") return at::kBool;
  throw std::invalid_argument("unknown dtype '" + n + "' (valid: float32, float64, int64, int32, uint8, bool)");
}

const char* dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return "unsupported";
  }
}

at::Device deviceFromName(const std::string& n) { return at::Device(n); }

at::MemoryFormat memoryFormatFromName(const std::string& n) {
  if (n == "contiguous") return at::MemoryFormat::Contiguous;
  if (n == "channels_last") return at::MemoryFormat::ChannelsLast;
  if (n == "preserve") return at::MemoryFormat::Preserve;
  throw std::invalid_argument("unknown memory format '" + n + "' (valid: contiguous, channels_last, preserve)");
}

// ---- lifecycle and inspection -------------------------------------------------------------

static Napi::Value dispose(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsExternal()) release(info.Env(), info[0].As<Napi::External<Box>>().Data());
  return info.Env().Undefined();
}

static Napi::Value memory(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  std::unordered_set<const void*> seen;
  int64_t bytes = 0;
  for (Box* b : liveBoxes()) {
    if (!b->t.defined() || !b->t.has_storage()) continue;
    const void* key = b->t.storage().unsafeGetStorageImpl();
    if (seen.insert(key).second) bytes += storageBytes(b->t);
  }
  auto out = Napi::Object::New(env);
  out.Set("liveTensors", Napi::Number::New(env, static_cast<double>(liveBoxes().size())));
  out.Set("liveBytes", Napi::Number::New(env, static_cast<double>(bytes)));
  return out;
}

static Napi::Value info_(const Napi::CallbackInfo& info) {
  return guarded(info, "info", [&]() -> Napi::Value {
    auto env = info.Env();
    const at::Tensor& t = tensorArg(info, 0);
    auto shape = Napi::Array::New(env, t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, t.size(d)));
    auto out = Napi::Object::New(env);
    out.Set("shape", shape);
    out.Set("dtype", Napi::String::New(env, dtypeName(t.scalar_type())));
    out.Set("device", Napi::String::New(env, t.device().str()));
    return out;
  });
}

static Napi::Value requiresGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "requiresGrad", [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), tensorArg(info, 0).requires_grad());
  });
}

static Napi::Value isMemoryFormat(const Napi::CallbackInfo& info) {
  return guarded(info, "isMemoryFormat", [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), tensorArg(info, 0).is_contiguous(memoryFormatFromName(strArg(info, 1))));
  });
}

static Napi::Value item(const Napi::CallbackInfo& info) {
  return guarded(info, "item", [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), tensorArg(info, 0).item<double>());
  });
}

// ---- creation and host copies ---------------------------------------------------------------

static at::TensorOptions optionsArg(const Napi::CallbackInfo& info, size_t dtypeAt, size_t deviceAt) {
  return at::TensorOptions().dtype(dtypeFromName(strArg(info, dtypeAt))).device(deviceFromName(strArg(info, deviceAt)));
}

// fromBuffer(typedArray, shape, dtype, device): copies host data into a new tensor.
static Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, "fromBuffer", [&]() -> Napi::Value {
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "fromBuffer expects a typed array");
    auto ta = info[0].As<Napi::TypedArray>();
    auto shape = intsArg(info, 1);
    auto dtype = dtypeFromName(strArg(info, 2));
    int64_t numel = 1;
    for (auto s : shape) numel *= s;
    const size_t need = static_cast<size_t>(numel) * at::elementSize(dtype);
    if (ta.ByteLength() != need)
      throw Napi::RangeError::New(info.Env(), "fromBuffer: buffer holds " + std::to_string(ta.ByteLength()) +
                                                  " bytes, shape and dtype need " + std::to_string(need));
    auto data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    if (need) std::memcpy(t.data_ptr(), data, need);
    auto device = deviceFromName(strArg(info, 3));
    if (!device.is_cpu()) t = t.to(device);
    return wrap(info.Env(), t);
  });
}

// toBuffer(t): a host copy in a typed array matching the dtype (bool as Uint8Array).
static Napi::Value toBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, "toBuffer", [&]() -> Napi::Value {
    auto env = info.Env();
    at::Tensor t = tensorArg(info, 0).detach().to(at::kCPU).contiguous();
    const size_t n = static_cast<size_t>(t.numel());
    const size_t bytes = n * t.element_size();
    auto buf = Napi::ArrayBuffer::New(env, bytes);
    if (bytes) std::memcpy(buf.Data(), t.data_ptr(), bytes);
    switch (t.scalar_type()) {
      case at::kFloat: return Napi::Float32Array::New(env, n, buf, 0);
      case at::kDouble: return Napi::Float64Array::New(env, n, buf, 0);
      case at::kLong: return Napi::BigInt64Array::New(env, n, buf, 0);
      case at::kInt: return Napi::Int32Array::New(env, n, buf, 0);
      case at::kByte:
      case at::kBool: return Napi::Uint8Array::New(env, n, buf, 0);
      default: throw std::invalid_argument(std::string("unsupported dtype ") + c10::toString(t.scalar_type()));
    }
  });
}

TSNAS_TENSOR_OP(full, at::full(intsArg(info, 0), numArg(info, 1), optionsArg(info, 2, 3)))
TSNAS_TENSOR_OP(rand, at::rand(intsArg(info, 0), optionsArg(info, 1, 2)))
TSNAS_TENSOR_OP(randn, at::randn(intsArg(info, 0), optionsArg(info, 1, 2)))
TSNAS_TENSOR_OP(randint, at::randint(intArg(info, 0), intArg(info, 1), intsArg(info, 2), optionsArg(info, 3, 4)))
TSNAS_TENSOR_OP(randperm, at::randperm(intArg(info, 0), optionsArg(info, 1, 2)))
TSNAS_TENSOR_OP(arange, at::arange(numArg(info, 0), numArg(info, 1), numArg(info, 2), optionsArg(info, 3, 4)))
TSNAS_TENSOR_OP(bernoulli, at::bernoulli(tensorArg(info, 0)))

static Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  return guarded(info, "manualSeed", [&]() -> Napi::Value {
    at::manual_seed(static_cast<uint64_t>(intArg(info, 0)));
    return info.Env().Undefined();
  });
}

// ---- autograd ---------------------------------------------------------------------------------

static Napi::Value setRequiresGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "setRequiresGrad", [&]() -> Napi::Value {
    tensorArg(info, 0).requires_grad_(boolArg(info, 1));
    return info.Env().Undefined();
  });
}

static Napi::Value backward(const Napi::CallbackInfo& info) {
  return guarded(info, "backward", [&]() -> Napi::Value {
    auto grad = optTensorArg(info, 1);
    tensorArg(info, 0).backward(grad.has_value() ? *grad : at::Tensor(), boolArg(info, 2));
    return info.Env().Undefined();
  });
}

static Napi::Value grad(const Napi::CallbackInfo& info) {
  return guarded(info, "grad", [&]() -> Napi::Value {
    const at::Tensor& g = tensorArg(info, 0).grad();
    if (!g.defined()) return info.Env().Null();
    return wrap(info.Env(), g);
  });
}

static Napi::Value clearGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "clearGrad", [&]() -> Napi::Value {
    tensorArg(info, 0).mutable_grad() = at::Tensor();
    return info.Env().Undefined();
  });
}

// setData(t, src): t keeps its identity (and autograd leaf status) but takes src's data,
// e.g. to change a parameter's device or memory format in place.
static Napi::Value setData(const Napi::CallbackInfo& info) {
  return guarded(info, "setData", [&]() -> Napi::Value {
    tensorArg(info, 0).set_data(tensorArg(info, 1));
    return info.Env().Undefined();
  });
}

static Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  c10::GradMode::set_enabled(boolArg(info, 0));
  return info.Env().Undefined();
}

static Napi::Value isGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

// ---- runtime ------------------------------------------------------------------------------------

static Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  return guarded(info, "setNumThreads", [&]() -> Napi::Value {
    at::set_num_threads(static_cast<int>(intArg(info, 0)));
    return info.Env().Undefined();
  });
}

static Napi::Value getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// libtorch's operator profiler (the legacy one: no Kineto in Debian's build), writing a Chrome
// trace of every ATen op, forward and backward, with its CPU time. One at a time per process.
static std::unique_ptr<torch::autograd::profiler::RecordProfile>& activeProfile() {
  static std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  return profile;
}

static Napi::Value profilerStart(const Napi::CallbackInfo& info) {
  return guarded(info, "profilerStart", [&]() -> Napi::Value {
    if (activeProfile()) throw std::runtime_error("a profile is already being recorded; stop it first");
    activeProfile() = std::make_unique<torch::autograd::profiler::RecordProfile>(strArg(info, 0));
    return info.Env().Undefined();
  });
}

static Napi::Value profilerStop(const Napi::CallbackInfo& info) {
  return guarded(info, "profilerStop", [&]() -> Napi::Value {
    if (!activeProfile()) throw std::runtime_error("no profile is being recorded");
    activeProfile().reset();  // the destructor writes the trace file
    return info.Env().Undefined();
  });
}

static Napi::Value runtimeInfo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  out.Set("allocator", Napi::String::New(env, allocatorSetting()));
  out.Set("cudaAvailable", Napi::Boolean::New(env, at::hasCUDA()));
  out.Set("cudaDeviceCount", Napi::Number::New(env, at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0));
  out.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN()));
  out.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  return out;
}

void registerLifecycle(Napi::Env env, Napi::Object e) {
  TSNAS_EXPORT(e, env, dispose);
  TSNAS_EXPORT(e, env, memory);
  e.Set("info", Napi::Function::New(env, info_, "info"));
  TSNAS_EXPORT(e, env, requiresGrad);
  TSNAS_EXPORT(e, env, isMemoryFormat);
  TSNAS_EXPORT(e, env, item);
  TSNAS_EXPORT(e, env, fromBuffer);
  TSNAS_EXPORT(e, env, toBuffer);
  TSNAS_EXPORT(e, env, full);
  TSNAS_EXPORT(e, env, rand);
  TSNAS_EXPORT(e, env, randn);
  TSNAS_EXPORT(e, env, randint);
  TSNAS_EXPORT(e, env, randperm);
  TSNAS_EXPORT(e, env, arange);
  TSNAS_EXPORT(e, env, bernoulli);
  TSNAS_EXPORT(e, env, manualSeed);
  TSNAS_EXPORT(e, env, setRequiresGrad);
  TSNAS_EXPORT(e, env, backward);
  TSNAS_EXPORT(e, env, grad);
  TSNAS_EXPORT(e, env, clearGrad);
  TSNAS_EXPORT(e, env, setData);
  TSNAS_EXPORT(e, env, setGradEnabled);
  TSNAS_EXPORT(e, env, isGradEnabled);
  TSNAS_EXPORT(e, env, setNumThreads);
  TSNAS_EXPORT(e, env, getNumThreads);
  TSNAS_EXPORT(e, env, runtimeInfo);
  TSNAS_EXPORT(e, env, profilerStart);
  TSNAS_EXPORT(e, env, profilerStop);
}

}  // namespace tsnas
