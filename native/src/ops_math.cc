// Arithmetic, comparisons, reductions, shape ops and in-place updates: one line each over ATen.
#include "box.h"

#include <cmath>

namespace tsnas {

#define T(i) tensorArg(info, i)
// Scalars keep integer type when integral, so int64 tensors accept them (type promotion does the rest).
static at::Scalar scalarArg(const Napi::CallbackInfo& info, size_t i) {
  double v = numArg(info, i);
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}
#define N(i) numArg(info, i)
#define S(i) scalarArg(info, i)
#define I(i) intArg(info, i)
#define B(i) boolArg(info, i)
#define IS(i) intsArg(info, i)

// Binary arithmetic: tensor-tensor (tt) and tensor-scalar (ts).
TSNAS_TENSOR_OP(add_tt, at::add(T(0), T(1), N(2)))
TSNAS_TENSOR_OP(add_ts, at::add(T(0), S(1)))
TSNAS_TENSOR_OP(sub_tt, at::sub(T(0), T(1)))
TSNAS_TENSOR_OP(rsub_ts, at::rsub(T(0), S(1)))
TSNAS_TENSOR_OP(mul_tt, at::mul(T(0), T(1)))
TSNAS_TENSOR_OP(mul_ts, at::mul(T(0), S(1)))
TSNAS_TENSOR_OP(div_tt, at::div(T(0), T(1)))
TSNAS_TENSOR_OP(div_ts, at::div(T(0), S(1)))
TSNAS_TENSOR_OP(pow_ts, at::pow(T(0), N(1)))
TSNAS_TENSOR_OP(pow_tt, at::pow(T(0), T(1)))
TSNAS_TENSOR_OP(maximum, at::maximum(T(0), T(1)))
TSNAS_TENSOR_OP(minimum, at::minimum(T(0), T(1)))
TSNAS_TENSOR_OP(matmul, at::matmul(T(0), T(1)))

// Unary.
TSNAS_TENSOR_OP(neg, at::neg(T(0)))
TSNAS_TENSOR_OP(exp, at::exp(T(0)))
TSNAS_TENSOR_OP(log, at::log(T(0)))
TSNAS_TENSOR_OP(sqrt, at::sqrt(T(0)))
TSNAS_TENSOR_OP(rsqrt, at::rsqrt(T(0)))
TSNAS_TENSOR_OP(abs, at::abs(T(0)))
TSNAS_TENSOR_OP(sign, at::sign(T(0)))
TSNAS_TENSOR_OP(reciprocal, at::reciprocal(T(0)))
TSNAS_TENSOR_OP(tanh, at::tanh(T(0)))
TSNAS_TENSOR_OP(floor, at::floor(T(0)))
TSNAS_TENSOR_OP(isfinite, at::isfinite(T(0)))
static at::Tensor clampArgs(const Napi::CallbackInfo& info) {
  auto lo = optNumArg(info, 1), hi = optNumArg(info, 2);
  c10::optional<at::Scalar> slo, shi;
  if (lo) slo = at::Scalar(*lo);
  if (hi) shi = at::Scalar(*hi);
  return at::clamp(T(0), slo, shi);
}
TSNAS_TENSOR_OP(clamp, clampArgs(info))
TSNAS_TENSOR_OP(where, at::where(T(0), T(1), T(2)))

// Comparisons (tensor-tensor and tensor-scalar); the result is bool.
TSNAS_TENSOR_OP(eq_tt, at::eq(T(0), T(1)))
TSNAS_TENSOR_OP(eq_ts, at::eq(T(0), S(1)))
TSNAS_TENSOR_OP(ne_ts, at::ne(T(0), S(1)))
TSNAS_TENSOR_OP(lt_tt, at::lt(T(0), T(1)))
TSNAS_TENSOR_OP(lt_ts, at::lt(T(0), S(1)))
TSNAS_TENSOR_OP(le_ts, at::le(T(0), S(1)))
TSNAS_TENSOR_OP(gt_tt, at::gt(T(0), T(1)))
TSNAS_TENSOR_OP(gt_ts, at::gt(T(0), S(1)))
TSNAS_TENSOR_OP(ge_ts, at::ge(T(0), S(1)))

// Reductions: an empty dims list means all dimensions (kept as size-1 dims with keepdim).
static std::vector<int64_t> reduceDims(const Napi::CallbackInfo& info) {
  auto dims = IS(1);
  if (dims.empty() && B(2)) for (int64_t d = 0; d < T(0).dim(); ++d) dims.push_back(d);
  return dims;
}
static at::Tensor reduceSum(const Napi::CallbackInfo& info) {
  auto dims = reduceDims(info);
  return dims.empty() ? at::sum(T(0)) : at::sum(T(0), dims, B(2));
}
static at::Tensor reduceMean(const Napi::CallbackInfo& info) {
  auto dims = reduceDims(info);
  return dims.empty() ? at::mean(T(0)) : at::mean(T(0), dims, B(2));
}
static at::Tensor reduceAmax(const Napi::CallbackInfo& info) {
  auto dims = reduceDims(info);
  return dims.empty() ? at::max(T(0)) : at::amax(T(0), dims, B(2));
}
static at::Tensor reduceAmin(const Napi::CallbackInfo& info) {
  auto dims = reduceDims(info);
  return dims.empty() ? at::min(T(0)) : at::amin(T(0), dims, B(2));
}
TSNAS_TENSOR_OP(sum, reduceSum(info))
TSNAS_TENSOR_OP(mean, reduceMean(info))
TSNAS_TENSOR_OP(amax, reduceAmax(info))
TSNAS_TENSOR_OP(amin, reduceAmin(info))
TSNAS_TENSOR_OP(norm, at::norm(T(0), N(1)))
TSNAS_TENSOR_OP(var, at::var(T(0), IS(1), B(2), B(3)))
TSNAS_TENSOR_OP(argmax, at::argmax(T(0), I(1), B(2)))
TSNAS_TENSOR_OP(argmin, at::argmin(T(0), I(1), B(2)))
TSNAS_TENSOR_OP(cumsum, at::cumsum(T(0), I(1)))

// topk(t, k, dim, largest, sorted) -> [values, indices]
static Napi::Value topk(const Napi::CallbackInfo& info) {
  return guarded(info, "topk", [&]() -> Napi::Value {
    auto r = at::topk(T(0), I(1), I(2), B(3), B(4));
    auto out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, wrap(info.Env(), std::get<0>(r)));
    out.Set(1u, wrap(info.Env(), std::get<1>(r)));
    return out;
  });
}

// Shape and layout.
TSNAS_TENSOR_OP(reshape, at::reshape(T(0), IS(1)))
TSNAS_TENSOR_OP(permute, T(0).permute(IS(1)))
TSNAS_TENSOR_OP(transpose, at::transpose(T(0), I(1), I(2)))
TSNAS_TENSOR_OP(flatten, at::flatten(T(0), I(1), I(2)))
TSNAS_TENSOR_OP(squeeze, at::squeeze(T(0), I(1)))
TSNAS_TENSOR_OP(unsqueeze, at::unsqueeze(T(0), I(1)))
TSNAS_TENSOR_OP(expand, T(0).expand(IS(1)))
TSNAS_TENSOR_OP(cat, at::cat(tensorListArg(info, 0), I(1)))
TSNAS_TENSOR_OP(stack, at::stack(tensorListArg(info, 0), I(1)))
TSNAS_TENSOR_OP(slice, at::slice(T(0), I(1), I(2), I(3), I(4)))
TSNAS_TENSOR_OP(select, at::select(T(0), I(1), I(2)))
TSNAS_TENSOR_OP(indexSelect, at::index_select(T(0), I(1), T(2)))
TSNAS_TENSOR_OP(gather, at::gather(T(0), I(1), T(2)))
TSNAS_TENSOR_OP(flip, at::flip(T(0), IS(1)))
TSNAS_TENSOR_OP(oneHot, at::one_hot(T(0), I(1)))
TSNAS_TENSOR_OP(contiguous, T(0).contiguous(memoryFormatFromName(strArg(info, 1))))
// toMemoryFormat: unlike contiguous(), restrides tensors whose layout is ambiguous (a channel dim
// of size 1, e.g. depthwise conv weights, grey images) so the strides themselves say the format;
// convolutions choose their kernels by those strides (as PyTorch's Module.to(memory_format=...)).
TSNAS_TENSOR_OP(toMemoryFormat, T(0).to(T(0).options(), false, false, memoryFormatFromName(strArg(info, 1))))
TSNAS_TENSOR_OP(toDtype, T(0).to(dtypeFromName(strArg(info, 1))))
TSNAS_TENSOR_OP(toDevice, T(0).to(deviceFromName(strArg(info, 1))))
TSNAS_TENSOR_OP(clone, T(0).clone(at::MemoryFormat::Preserve))
TSNAS_TENSOR_OP(detach, T(0).detach())
TSNAS_TENSOR_OP(zerosLike, at::zeros_like(T(0)))
TSNAS_TENSOR_OP(onesLike, at::ones_like(T(0)))
TSNAS_TENSOR_OP(alias, T(0))

// In-place updates (optimizers, EMA, running statistics). They bypass autograd by contract:
// the TypeScript side calls them under noGrad.
TSNAS_INPLACE_OP(add_, T(0).add_(T(1), N(2)))
TSNAS_INPLACE_OP(addScalar_, T(0).add_(S(1)))
TSNAS_INPLACE_OP(mul_, T(0).mul_(T(1)))
TSNAS_INPLACE_OP(mulScalar_, T(0).mul_(S(1)))
TSNAS_INPLACE_OP(div_, T(0).div_(T(1)))
TSNAS_INPLACE_OP(addcmul_, T(0).addcmul_(T(1), T(2), N(3)))
TSNAS_INPLACE_OP(addcdiv_, T(0).addcdiv_(T(1), T(2), N(3)))
TSNAS_INPLACE_OP(lerp_, T(0).lerp_(T(1), N(2)))
TSNAS_INPLACE_OP(copy_, T(0).copy_(T(1)))
TSNAS_INPLACE_OP(fill_, T(0).fill_(S(1)))
TSNAS_INPLACE_OP(zero_, T(0).zero_())
TSNAS_INPLACE_OP(sqrt_, T(0).sqrt_())
TSNAS_INPLACE_OP(clampMin_, T(0).clamp_min_(N(1)))

void registerMath(Napi::Env env, Napi::Object e) {
  TSNAS_EXPORT(e, env, add_tt); TSNAS_EXPORT(e, env, add_ts); TSNAS_EXPORT(e, env, sub_tt);
  TSNAS_EXPORT(e, env, rsub_ts); TSNAS_EXPORT(e, env, mul_tt); TSNAS_EXPORT(e, env, mul_ts);
  TSNAS_EXPORT(e, env, div_tt); TSNAS_EXPORT(e, env, div_ts); TSNAS_EXPORT(e, env, pow_ts);
  TSNAS_EXPORT(e, env, pow_tt); TSNAS_EXPORT(e, env, maximum); TSNAS_EXPORT(e, env, minimum);
  TSNAS_EXPORT(e, env, matmul);
  TSNAS_EXPORT(e, env, neg); TSNAS_EXPORT(e, env, exp); TSNAS_EXPORT(e, env, log);
  TSNAS_EXPORT(e, env, sqrt); TSNAS_EXPORT(e, env, rsqrt); TSNAS_EXPORT(e, env, abs);
  TSNAS_EXPORT(e, env, sign); TSNAS_EXPORT(e, env, reciprocal); TSNAS_EXPORT(e, env, tanh);
  TSNAS_EXPORT(e, env, floor); TSNAS_EXPORT(e, env, isfinite); TSNAS_EXPORT(e, env, clamp);
  TSNAS_EXPORT(e, env, where);
  TSNAS_EXPORT(e, env, eq_tt); TSNAS_EXPORT(e, env, eq_ts); TSNAS_EXPORT(e, env, ne_ts);
  TSNAS_EXPORT(e, env, lt_tt); TSNAS_EXPORT(e, env, lt_ts); TSNAS_EXPORT(e, env, le_ts);
  TSNAS_EXPORT(e, env, gt_tt); TSNAS_EXPORT(e, env, gt_ts); TSNAS_EXPORT(e, env, ge_ts);
  TSNAS_EXPORT(e, env, sum); TSNAS_EXPORT(e, env, mean); TSNAS_EXPORT(e, env, amax);
  TSNAS_EXPORT(e, env, amin); TSNAS_EXPORT(e, env, norm); TSNAS_EXPORT(e, env, var);
  TSNAS_EXPORT(e, env, argmax); TSNAS_EXPORT(e, env, argmin); TSNAS_EXPORT(e, env, cumsum);
  TSNAS_EXPORT(e, env, topk);
  TSNAS_EXPORT(e, env, reshape); TSNAS_EXPORT(e, env, permute); TSNAS_EXPORT(e, env, transpose);
  TSNAS_EXPORT(e, env, flatten); TSNAS_EXPORT(e, env, squeeze); TSNAS_EXPORT(e, env, unsqueeze);
  TSNAS_EXPORT(e, env, expand); TSNAS_EXPORT(e, env, cat); TSNAS_EXPORT(e, env, stack);
  TSNAS_EXPORT(e, env, slice); TSNAS_EXPORT(e, env, select); TSNAS_EXPORT(e, env, indexSelect);
  TSNAS_EXPORT(e, env, gather); TSNAS_EXPORT(e, env, flip); TSNAS_EXPORT(e, env, oneHot);
  TSNAS_EXPORT(e, env, contiguous); TSNAS_EXPORT(e, env, toMemoryFormat); TSNAS_EXPORT(e, env, toDtype); TSNAS_EXPORT(e, env, toDevice);
  TSNAS_EXPORT(e, env, clone); TSNAS_EXPORT(e, env, detach); TSNAS_EXPORT(e, env, zerosLike);
  TSNAS_EXPORT(e, env, onesLike); TSNAS_EXPORT(e, env, alias);
  TSNAS_EXPORT(e, env, add_); TSNAS_EXPORT(e, env, addScalar_); TSNAS_EXPORT(e, env, mul_);
  TSNAS_EXPORT(e, env, mulScalar_); TSNAS_EXPORT(e, env, div_); TSNAS_EXPORT(e, env, addcmul_);
  TSNAS_EXPORT(e, env, addcdiv_); TSNAS_EXPORT(e, env, lerp_); TSNAS_EXPORT(e, env, copy_);
  TSNAS_EXPORT(e, env, fill_); TSNAS_EXPORT(e, env, zero_); TSNAS_EXPORT(e, env, sqrt_);
  TSNAS_EXPORT(e, env, clampMin_);
}

}  // namespace tsnas
