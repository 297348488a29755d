/**
 * The Kolmogorov-Smirnov distributions behind the two-sample KS p-value, computed as SciPy 1.17 computes
 * them so that our p-values are SciPy's (tests compare against tools/monitoring-reference/expected.json):
 *
 * * `kstwoSf(n, d)`: P(D_n >= d) for the two-sided one-sample statistic (`scipy.stats.kstwo.sf`), with the
 *   method chosen per (n, d) as Simard and L'Ecuyer (2011) recommend: Ruben-Gambino closed forms at the
 *   ends, Durbin's matrix (Marsaglia-Tsang-Wang), Pomeranz's recursion, the Pelz-Good expansion, or twice
 *   the one-sided Smirnov tail.
 * * `exactTwoSampleSf(n1, n2, h)`: P(D_{n1,n2} >= h / lcm(n1, n2)) by counting lattice paths (Hodges 1958;
 *   the "inside" recursion computes 1 - p directly, as Viehmann 2021 suggests).
 *
 * No npm package computes these (see docs/decisions/0013-drift-statistics-own-ks-stdlib-gamma.md).
 * References: Simard R., L'Ecuyer P. (2011), J. Stat. Softw. 39(11); Durbin J. (1968); Marsaglia G.,
 * Tsang W.W., Wang J. (2003), J. Stat. Softw. 8(18); Pomeranz J. (1974), CACM 17(12); Pelz W., Good I.J.
 * (1976), JRSS B 38(2); Birnbaum Z.W., Tingey F.H. (1951); Hodges J.L. (1958), Ark. Mat. 3(43).
 */

const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT3 = Math.sqrt(3);
/** Intermediate results are rescaled by 2^±128 to stay inside the double range. */
const E128 = 128;
const P128 = 2 ** 128;
const M128 = 2 ** -128;
/** log of the smallest normal double (cephes MINLOG). */
const MINLOG = -708.3964185322641;
/** Above this n the one-sided tail uses its asymptotic form (as cephes/xsf do). */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
/** Stirling series coefficients B_2j / (2j (2j-1)), j = 8..1, highest power first. */
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

/** x * 2^e without overflowing or underflowing the power of two on the way. */
export function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

/** Round half to even, as NumPy's `np.round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** log(n! / n^n) by Stirling's series. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const y = rn / n;
  let poly = STIRLING[0]!;
  for (let i = 1; i < STIRLING.length; i++) poly = poly * y + STIRLING[i]!;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** P(D_n <= d) by Durbin's matrix, powered as Marsaglia, Tsang and Wang do (memory m^2, m = 2 ceil(nd) - 1). */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let power: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let exponent = 0;
  let hExponent = 0;
  let nn = n;
  while (nn > 0) {
    if (nn % 2) {
      power = matmul(power, H, m);
      exponent += hExponent;
    }
    nn = Math.floor(nn / 2);
    if (nn === 0) break; // the last squaring is never used
    H = matmul(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > P128) {
      for (let i = 0; i < H.length; i++) H[i]! /= P128;
      hExponent += E128;
    }
  }
  let p = power[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < M128) {
      p *= P128;
      exponent -= E128;
    }
  }
  return exponent !== 0 ? ldexp(p, exponent) : p;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[row + k]!;
      if (aik === 0) continue;
      const col = k * m;
      for (let j = 0; j < m; j++) out[row + j]! += aik * b[col + j]!;
    }
  }
  return out;
}

/** The interval of row i of Pomeranz's recursion. */
function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n <= x) by Pomeranz's recursion (two rows of convolutions with Poisson-like weights). */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const start = k1 - V0s;
      const aLen = Math.max(0, Math.min(ln2, npwrs - start));
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      for (let c = 0; c < convLen; c++) {
        const kk = convStart + c;
        let s = 0;
        const lo = Math.max(0, kk - bLen + 1);
        const hi = Math.min(kk, aLen - 1);
        for (let a = lo; a <= hi; a++) s += V0[start + a]! * pwrs[kk - a]!;
        V1[c] = s;
      }
      let max = -Infinity;
      for (let c = 0; c < npwrs; c++) if (V1[c]! > max) max = V1[c]!;
      if (max > 0 && max < M128) {
        for (let c = 0; c < npwrs; c++) V1[c]! *= P128;
        exponent -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > P128) {
      ans *= M128;
      exponent += E128;
    }
    ans *= m;
  }
  return exponent !== 0 ? ldexp(ans, exponent) : ans;
}

/** The Pelz-Good approximation of P(D_n <= x) (Li-Chien/Korolyuk expansion rewritten for small z = x sqrt(n)). */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  let K0 = 0;
  let K1 = 0;
  let K2 = 0;
  let K3 = 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * k);
    K0 = K0 * qpower + 1;
    K1 = K1 * qpower + (k1a + k1b * m2);
    K2 = K2 * qpower + (k2a + k2b * m2 + k2c * m4);
    K3 = K3 * qpower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  K0 = (K0 * q * SQRT2PI) / z;
  K1 = (K1 * q * SQRT2PI) / (6 * z4);
  K2 = (K2 * q * SQRT2PI) / (72 * z ** 7);
  K3 = (K3 * q * SQRT2PI) / (6480 * z ** 10);
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    k2extra += k2 * qk;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K2 += k2extra * ((PI2 * SQRT2PI) / (-36 * z3));
  K3 += k3extra * ((PI2 * SQRT2PI) / (216 * z6));
  return K0 + K1 / n ** 0.5 + K2 / n + K3 / n ** 1.5;
}

/**
 * n x = fl + alpha exactly enough: fl an integer, 0 <= alpha < 1 accurate to an ulp (Dekker's product),
 * so that 1 - x - v/n and x + v/n keep their relative accuracy when they are small.
 */
function splitNx(n: number, x: number): { fl: number; alpha: number } {
  const p = n * x;
  const SPLIT = 134217729; // 2^27 + 1
  const ca = SPLIT * n;
  const ah = ca - (ca - n);
  const al = n - ah;
  const cb = SPLIT * x;
  const bh = cb - (cb - x);
  const bl = x - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  let fl = Math.floor(p);
  let alpha = p - fl + e;
  if (alpha < 0) {
    fl -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    fl += 1;
    alpha -= 1;
  }
  return { fl, alpha };
}

/**
 * The one-sided Smirnov tail P(D_n^+ >= x) (`scipy.special.smirnov`) for the cases the two-sided
 * distribution needs (x > 1/n): Birnbaum-Tingey's sum of positive terms, each computed in log space
 * (no term overflows or underflows early), stopped once the rest cannot change the sum.
 */
function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { fl: nxfl, alpha } = splitNx(n, x);
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) return 1 - x * (1 + x) ** (n - 1);
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxfl >= n - 1) return (1 - x) ** n;
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    // Keep precision for small p-values: exp directly, else 1 - cdf with the cdf from expm1.
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // Lower sum: sf = x * sum_{v=0}^{last} C(n,v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1)
  let last = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) last -= 1;
  const nTerms = last + 1;
  const logX = Math.log(x);
  // log C(n, v), summed with Neumaier's compensation: the sum reaches ~n while each step adds ~1, and
  // plain summation would lose ~1e-8 relative over the ~n/2 terms that matter for large n.
  let logC = 0;
  let logCErr = 0;
  let sum = Math.exp(n * Math.log1p(-x) - logX);
  const vmid = Math.floor(n / 2);
  for (let v = 1; v < nTerms; v++) {
    const step = Math.log((n - v + 1) / v);
    const next = logC + step;
    logCErr += Math.abs(logC) >= Math.abs(step) ? logC - next + step : step - next + logC;
    logC = next;
    const above = v + nxfl + alpha; // n (x + v/n)
    const logTerm = logC + logCErr + (n - v) * Math.log1p(-above / n) + (v - 1) * Math.log(above / n);
    const term = Math.exp(logTerm);
    if (term !== 0) {
      sum += term;
      if (4 * (nTerms - v) * term < Number.EPSILON * sum && v !== nTerms - 1) break;
    } else if (v > vmid) {
      break;
    }
  }
  return clip01(x * sum);
}

/**
 * P(D_n >= d), the survival function of the two-sided one-sample Kolmogorov-Smirnov statistic for a
 * sample of size n (`scipy.stats.kstwo.sf(d, n)`).
 */
export function kstwoSf(n: number, d: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(d)) return NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - d) ** n);
  if (d >= 0.5) return clip01(2 * smirnovSf(n, d));
  const nxsquared = t * d;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip01(1 - durbinCdf(n, d));
    if (nxsquared <= 4) return clip01(1 - pomeranzCdf(n, d));
    return clip01(2 * smirnovSf(n, d));
  }
  if (nxsquared >= 370) return 0;
  if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, d));
  const cdf = n <= 100000 && n * d ** 1.5 <= 1.4 ? durbinCdf(n, d) : pelzGoodCdf(n, d);
  return clip01(1 - clip01(cdf));
}

/** P(D >= h/lcm) for two samples of the same size n: Horner form of the alternating binomial sum. */
function outsideSquareSf(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * 1 - P(all lattice paths from (0,0) to (m,n) stay strictly inside |x/m - y/n| < h/lcm), computed column
 * by column over the sliding band of reachable cells, already divided by binom(m+n, n).
 */
function insideMethodSf(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < Math.min(maxj, lenA); j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    const len = maxj - minj;
    for (let jj = 0; jj < len; jj++) {
      val = (A[jj + shift]! * i + val * (jj + minj)) / (i + jj + minj);
      A[jj] = val;
    }
    curlen = len;
    if (lastlen > curlen) A.fill(1, len, Math.min(len + (lastlen - curlen), lenA));
  }
  return A[maxj - minj - 1]!;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

export type KsPValueMethod = 'exact' | 'asymp';

export interface KsPValue {
  /** The statistic as SciPy reports it: on the exact path rounded to the lattice, h / lcm(n1, n2). */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: KsPValueMethod;
}

/** Samples up to this size get the exact p-value under `method: 'auto'` (SciPy's MAX_AUTO_N). */
export const KS_MAX_EXACT_N = 10000;

/**
 * The two-sided p-value of a two-sample KS statistic d for sample sizes n1 and n2, with SciPy's
 * `ks_2samp(method=...)` rules: 'auto' is exact when both samples have at most 10,000 values, else
 * asymptotic; 'exact' falls back to 'asymp' when lcm(n1, n2) overflows 32 bits or the lattice count
 * fails; 'asymp' is `kstwo.sf(d, round(n1 n2 / (n1 + n2)))`.
 */
export function ksTwoSamplePValue(n1: number, n2: number, d: number, method: 'auto' | KsPValueMethod = 'auto'): KsPValue {
  let mode: KsPValueMethod = method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp') : method;
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  if (method === 'exact' && n1g >= 2147483647 / n2g) mode = 'asymp';
  let statistic = d;
  let pValue = NaN;
  if (mode === 'exact') {
    const lcm = n1g * n2;
    const h = roundHalfEven(d * lcm);
    statistic = h / lcm;
    if (h === 0) {
      pValue = 1;
    } else {
      pValue = n1 === n2 ? outsideSquareSf(n1, h) : insideMethodSf(n1, n2, g, h);
      if (!(pValue >= 0 && pValue <= 1)) mode = 'asymp';
    }
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    pValue = kstwoSf(roundHalfEven(en), statistic);
  }
  return { statistic, pValue: clip01(pValue), method: mode };
}
