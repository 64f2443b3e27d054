#!/usr/bin/env python3
"""Second, independent checker for ConvSimKit certificates (convsimkit-certificate/2).

Written from Documentation/Certificates.md alone (the spec), never from the Swift sources. Python 3 standard
library only. Every quantity is exact (int, Fraction); the one use of floating point is the replay of the 4.1
protocol, which the spec defines in binary64. Section names below are the spec's.
Usage: python3 scripts/check_certificate.py [--max-work N] [--quiet] [--codes] CERT.json [CERT.json ...]
Exit codes: 0 the claim holds, 1 it does not, 2 malformed, 3 refused (a limit of *Limits*).
"""
import argparse, contextlib, functools, io, json, math, operator, re, sys
from fractions import Fraction

if hasattr(sys, 'set_int_max_str_digits'): sys.set_int_max_str_digits(0)    # exact strings have up to 10,000 digits
FORMAT, PAPER_41, THEOREM = 'convsimkit-certificate/2', 'orthogonalized-kernels-feature-similarity', 'theorem-counterexample'
MAX_FILE_BYTES, MAX_DEPTH, MAX_VALUES, DEFAULT_MAX_WORK = 64 * 1024 * 1024, 64, 10 ** 7, 2 * 10 ** 8
MAX_EXACT_CHARS, MAX_EXPONENT, SQRT_BITS = 10000, 1000, 128
PADDINGS = ('valid', 'same', 'full', 'circular')
PROVENANCE_KEYS = ('command', 'seed', 'statement', 'input_description', 'strategy', 'tool')
class Malformed(Exception): """Exit code 2."""
class Refused(Exception): """Exit code 3."""
class JInt(int): """A JSON integer literal of at most 18 digits (a longer one is kept as its binary64)."""


# ------------------------------------------------------------------------ reading the file
def _unique_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj: raise Malformed(f'duplicated key {key!r}')
        obj[key] = value
    return obj
def _no_constant(name): raise Malformed(f'{name} is not a JSON number')
def nesting_depth(doc):
    """How deeply arrays and objects nest (a scalar: 0), counted level by level."""
    depth, level = 0, [doc]
    while level := [v for v in level if isinstance(v, (dict, list))]:
        depth, level = depth + 1, [w for v in level for w in (v.values() if isinstance(v, dict) else v)]
    return depth
def read_json(path):
    """The document: refused over 64 MiB (before reading on), malformed unless UTF-8 JSON nested <= 64 deep."""
    with open(path, 'rb') as f: raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES: raise Refused('the file exceeds the 64 MiB file-size limit (no flag lifts it)')
    try: doc = json.loads(raw.decode('utf-8'), object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                          parse_int=lambda s: JInt(s) if len(s.lstrip('-')) <= 18 else float(s))
    except RecursionError: doc = None      # nested far deeper than 64
    except (UnicodeDecodeError, json.JSONDecodeError) as e: raise Malformed(f'not JSON (UTF-8): {e}')
    if doc is None or nesting_depth(doc) > MAX_DEPTH: raise Malformed(f'JSON nesting depth exceeds {MAX_DEPTH}')
    try: json.dumps(doc, ensure_ascii=False).encode('utf-8')
    except UnicodeEncodeError: raise Malformed('a string holds an unpaired surrogate (\\ud800-\\udfff escape)')
    return doc


# ------------------------------------------- value types (*Layout*); every reader raises Malformed naming the path
TYPE_NAMES = {bool: 'a boolean', dict: 'an object', list: 'an array', str: 'a string', type(None): 'null'}
def expected(what, v, path): return Malformed(f'{path}: expected {what}, got {TYPE_NAMES.get(type(v), "a number")}')
def expect_object(v, path, required, optional=()):
    """v, an object with every key of `required` and no key outside `required` and `optional`."""
    if not isinstance(v, dict): raise expected('an object', v, path)
    for k in v:
        if k not in required and k not in optional: raise Malformed(f'{path}: unknown key {k!r}')
    for k in required:
        if k not in v: raise Malformed(f'{path}: missing key {k!r}')
    return v
def fields(v, path, spec, optional={}):
    """An object with exactly the keys of `spec` (and any of `optional`), each read by its type."""
    expect_object(v, path, spec, optional)
    return {k: read(v[k], f'{path}.{k}') for k, read in {**spec, **optional}.items() if k in v}
def record(**spec): return lambda v, path: fields(v, path, spec)
def choice(v, path, options):
    if not isinstance(v, str) or v not in options: raise Malformed(f'{path}: expected one of {", ".join(options)}')
    return v
EXACT_RE = re.compile(r'(-?)([0-9]+)(?:/([0-9]+)|(?:\.([0-9]+))?(?:[eE]([-+]?[0-9]+))?)')
def exact(v, path):
    """Type `exact`: "n", "p/q" (q >= 1), "m.f" or "m[.f]e±x" (|x| <= 1000), as the rational it denotes."""
    m = EXACT_RE.fullmatch(v) if isinstance(v, str) and len(v) <= MAX_EXACT_CHARS else None
    if not m: raise expected('an exact number (integer, p/q or decimal string, <= 10,000 characters)', v, path)
    sign, whole, q, frac, e = m.groups()
    if q is not None and int(q) == 0: raise Malformed(f'{path}: a fraction with denominator 0')
    if e is not None and abs(int(e)) > MAX_EXPONENT: raise Malformed(f'{path}: decimal exponent beyond +-{MAX_EXPONENT}')
    frac = frac or ''                               # 10^|exponent| only after the check above
    value = Fraction(int(whole), int(q)) if q is not None else int(whole + frac) * Fraction(10) ** (int(e or 0) - len(frac))
    return -value if sign else value
def interval(v, path):
    """Type `interval`: {"lower": exact, "upper": exact}, lower <= upper; as (lower, upper)."""
    iv = fields(v, path, {'lower': exact, 'upper': exact})
    if iv['lower'] > iv['upper']: raise Malformed(f'{path}: lower > upper')
    return iv['lower'], iv['upper']
def number(v, path):
    """Type `number` and the data values: the nearest binary64 to the text, which must be finite."""
    if type(v) not in (JInt, float) or not math.isfinite(v): raise expected('a finite number', v, path)
    return float(v)
def integer(v, path, lo, hi):
    if type(v) is not JInt or not lo <= v <= hi: raise expected(f'a JSON integer in {lo}..{hi} (<= 18 digits)', v, path)
    return int(v)
def boolean(v, path):
    if not isinstance(v, bool): raise expected('true or false', v, path)
    return v
def tau(v, path):
    """An exact threshold with 0 < tau <= 1."""
    if not 0 < exact(v, path) <= 1: raise Malformed(f'{path}: the threshold must satisfy 0 < tau <= 1')
    return exact(v, path)
def exact_list(v, path):
    if not isinstance(v, list): raise expected('an array', v, path)
    return [exact(x, f'{path}[{k}]') for k, x in enumerate(v)]
def exact_or_null(v, path): return None if v is None else exact(v, path)
GRAM = record(g00=exact, g01=exact, g11=exact)
COSINE_KEYS = {'kernel_dot': exact, 'gram': GRAM, 'feature_cosine': interval, 'feature_cosine_at_least': tau}
LHS_RHS = {'lhs': exact, 'rhs': exact}


# ---------------------------------------------------------------------------- the certificate
def tensor(v, path, rank):
    """{"shape": [rank integers >= 1], "values": [as many numbers as the shape's product]}, as (shape, values)."""
    expect_object(v, path, ('shape', 'values'))
    if not isinstance(v['shape'], list) or len(v['shape']) != rank:
        raise Malformed(f'{path}.shape: expected an array of {rank} integers')
    dims, values = [integer(s, f'{path}.shape[{k}]', 1, 10 ** 18) for k, s in enumerate(v['shape'])], v['values']
    if not isinstance(values, list): raise expected('an array', values, f'{path}.values')
    if len(values) != math.prod(dims): raise Malformed(f'{path}.values: {len(values)} values, the shape needs {math.prod(dims)}')
    return dims, [number(x, f'{path}.values[{k}]') for k, x in enumerate(values)]
def dyadic_ints(values):
    """Exact binary64 values as integers under one power-of-two scale: value_k = ints_k / 2^s."""
    ratios = [x.as_integer_ratio() for x in values]                 # every denominator is a power of 2
    s = max(q.bit_length() - 1 for _, q in ratios)
    return [p << (s - q.bit_length() + 1) for p, q in ratios], s
def reshape(flat, dims):
    """Row-major nested lists of shape dims."""
    for d in reversed(dims[1:]): flat = [flat[k:k + d] for k in range(0, len(flat), d)]
    return flat
class Cert:
    """The data. build() (after the limits) scales them to integers: K[i][c][u_y][u_x] = Kint / 2^sK,
    X[c][y][x] = Xint / 2^sX; Kflat[i] is vec(K_i) in the same units. The sums below run on these integers,
    and each function divides its sum by the power of two of its degree."""
    def __init__(self, padding, kdims, kvals, xdims, xvals):
        self.padding, (self.M, self.C, self.kh, self.kw), (_, self.H, self.W) = padding, kdims, xdims
        self.kdims, self.kvals, self.xdims, self.xvals = kdims, kvals, xdims, xvals
    def build(self):
        (k, self.sK), (x, self.sX) = dyadic_ints(self.kvals), dyadic_ints(self.xvals)
        self.K, self.X, n = reshape(k, self.kdims), reshape(x, self.xdims), self.C * self.kh * self.kw
        self.Kflat = [k[i * n:(i + 1) * n] for i in range(self.M)]
def load_certificate(path):
    """(kind, Cert, claimed, provenance) of a well-formed certificate; Malformed otherwise."""
    doc = read_json(path)
    expect_object(doc, '(top level)', ('format', 'claim', 'data', 'claimed', 'provenance'))
    choice(doc['format'], 'format', (FORMAT,))
    kind, data = choice(doc['claim'], 'claim', VERIFIERS), expect_object(doc['data'], 'data', ('padding', 'kernels', 'input'))
    padding = choice(data['padding'], 'data.padding', PADDINGS)
    kdims, kvals = tensor(data['kernels'], 'data.kernels', 4)
    xdims, xvals = tensor(data['input'], 'data.input', 3)
    (M, C, kh, kw), theorem, raw = kdims, None, doc['claimed']
    if C != xdims[0]: raise Malformed(f'data: the kernels have C = {C}, the input has C = {xdims[0]}')
    if kind == THEOREM:
        theorem = choice(expect_object(raw, 'claimed', ('theorem',), raw)['theorem'], 'claimed.theorem', THEOREMS)
        claimed = fields(raw, 'claimed', {'theorem': lambda v, path: v, 'hypothesis_met': boolean, **THEOREMS[theorem][0]})
    else: claimed = fields(raw, 'claimed', *VERIFIERS[kind][:2])
    for k, v in expect_object(doc['provenance'], 'provenance', (), PROVENANCE_KEYS).items():
        if not isinstance(v, str): raise expected('a string', v, f'provenance.{k}')
    if kind not in (PAPER_41, THEOREM) and M != 2: raise Malformed(f'data.kernels.shape: this claim kind needs M = 2, got {M}')
    if kind == PAPER_41 and (M, C, kh, xdims[1]) != (4, 1, 1, 1):
        raise Malformed('data: the 4.1 claim needs kernels of shape [4, 1, 1, L] and an input of shape [1, 1, N]')
    if theorem == 'T3' and len(claimed['pair_symmetric_cs']) != M * (M - 1) // 2:
        raise Malformed(f'claimed.pair_symmetric_cs: expected {M * (M - 1) // 2} entries (the pairs i<j)')
    if theorem not in (None, 'T3') and M < 2: raise Malformed('data.kernels.shape: the theorem needs kernels 0 and 1')
    if theorem == 'T1b' and padding == 'circular': raise Malformed('claimed.theorem: T1b is stated for zero padding, not circular')
    return kind, Cert(padding, kdims, kvals, xdims, xvals), claimed, doc['provenance']
def work(cert, claimed):
    """W of *Limits*: M·C·|Ω_full|·kh·kw + C²·|D|·(H·W + kh·kw) + 4n⁴ (eigenvalues) + n²|Ω_full| (patch Gram)
    + M(M-1)/2·C²·|D|·kh·kw (T3) + steps·L (4.1), with n = C·kh·kw."""
    M, C, kh, kw, H, W, th = cert.M, cert.C, cert.kh, cert.kw, cert.H, cert.W, claimed.get('theorem')
    omega_full, lags, n = (H + kh - 1) * (W + kw - 1), (2 * kh - 1) * (2 * kw - 1), C * kh * kw
    eigen = 'wielandt' in claimed or th == 'T4'                       # eigenvalue intervals stated
    return (M * C * omega_full * kh * kw + C * C * lags * (H * W + kh * kw) + 4 * n ** 4 * eigen
            + n * n * omega_full * (eigen or th == 'T6') + M * (M - 1) // 2 * C * C * lags * kh * kw * (th == 'T3')
            + (claimed['protocol']['steps'] * kw if 'protocol' in claimed else 0))


# ---------------------------------------------------------------------- *Definitions*
def axes(cert, mode):
    """Per axis (y, x): the left pad o and the output positions p (table *Padding*)."""
    def axis(k, n):
        if mode == 'valid': return 0, range(n - k + 1)
        return (k - 1, range(n + k - 1)) if mode == 'full' else ((k - 1) // 2, range(n))    # same, circular
    return axis(cert.kh, cert.H), axis(cert.kw, cert.W)
def x_tilde(cert, mode, c, sy, sx):
    """X~_c(s): X_c inside the image; outside 0, or wrapped around (mod (H, W)) for circular padding."""
    if mode == 'circular': return cert.X[c][sy % cert.H][sx % cert.W]
    return cert.X[c][sy][sx] if 0 <= sy < cert.H and 0 <= sx < cert.W else 0
def dot(u, v): return sum(a * b for a, b in zip(u, v))
@functools.cache
def feature_map(cert, i, mode):
    """F_i(p) = sum_c sum_u K[i,c](u) X~_c(p + u - o), p over the outputs row by row, in units of 2^-(sK+sX)."""
    ((oy, Py), (ox, Px)), K = axes(cert, mode), cert.K[i]
    taps = [(K[c][uy][ux], c, uy - oy, ux - ox) for c in range(cert.C) for uy in range(cert.kh)
            for ux in range(cert.kw) if K[c][uy][ux] != 0]
    return [sum(k * x_tilde(cert, mode, c, py + dy, px + dx) for k, c, dy, dx in taps) for py in Py for px in Px]
def gram(cert, i, j):
    """G_ij = sum_p F_i(p) F_j(p) under the data's padding."""
    return Fraction(dot(feature_map(cert, i, cert.padding), feature_map(cert, j, cert.padding)), 4 ** (cert.sK + cert.sX))
def kernel_dot(cert, a, b):
    """<K_a, K_b> = sum_c sum_u K[a,c](u) K[b,c](u)."""
    return Fraction(dot(cert.Kflat[a], cert.Kflat[b]), 4 ** cert.sK)
def lag_window(cert): return [(dy, dx) for dy in range(1 - cert.kh, cert.kh) for dx in range(1 - cert.kw, cert.kw)]
def correlate(A, B, d, circular=False):
    """sum_q A(q) B(q + d), q over A's domain; B zero outside its domain, or wrapped around (circular)."""
    (dy, dx), H, W = d, len(A), len(A[0])
    if circular: return sum(A[y][x] * B[(y + dy) % H][(x + dx) % W] for y in range(H) for x in range(W))
    return sum(A[y][x] * B[y + dy][x + dx] for y in range(max(0, -dy), min(H, H - dy))
               for x in range(max(0, -dx), min(W, W - dx)))
def T(cert, i, j, c, c2, d):
    """T_ij,cc'(d) = sum_u K[i,c](u) K[j,c'](u + d), terms with u + d outside the kernel 0."""
    return Fraction(correlate(cert.K[i][c], cert.K[j][c2], d), 4 ** cert.sK)
def S(cert, i, j, c, c2, d):
    """S_ij,cc'(d) = (T_ij,cc'(d) + T_ij,c'c(-d)) / 2."""
    return (T(cert, i, j, c, c2, d) + T(cert, i, j, c2, c, (-d[0], -d[1]))) / 2
def paper_cs(cert):
    """Paper CS of the pair (0,1): sum_c sum_d T_01,cc(d)^2."""
    return sum(T(cert, 0, 1, c, c, d) ** 2 for c in range(cert.C) for d in lag_window(cert))
def symmetric_cs(cert, i, j):
    """Symmetric CS of (i,j): sum_c sum_c' sum_d S_ij,cc'(d)^2 over ordered channel pairs."""
    return sum(S(cert, i, j, c, c2, d) ** 2 for c in range(cert.C) for c2 in range(cert.C) for d in lag_window(cert))
@functools.cache
def R(cert, c, c2, d, circular):
    """R_cc'(d) = sum_q X_c(q) X_c'(q + d), zero outside (linear) or wrapped around (R°); q over the image."""
    return Fraction(correlate(cert.X[c], cert.X[c2], d, circular), 4 ** cert.sX)
def R_P(cert, c, c2, d):
    """R^P: R° for circular padding, R otherwise."""
    return R(cert, c, c2, d, cert.padding == 'circular')
def lag_sum(cert, coefficient, circular):
    """sum_{c,c'} sum_{d in D} coefficient(c, c', d) R_cc'(d) (R° if circular)."""
    return sum(coefficient(c, c2, d) * R(cert, c, c2, d, circular)
               for c in range(cert.C) for c2 in range(cert.C) for d in lag_window(cert))
def closed_form(cert, circular):
    """Closed form (T1): sum_{c,c',d} T_01,cc'(d) R_cc'(d)."""
    return lag_sum(cert, lambda c, c2, d: T(cert, 0, 1, c, c2, d), circular)
def border_term(cert):
    """E = sum of F^full_0(q) F^full_1(q) over the full outputs q that P (valid, same) lacks; output p of P
    is full output p + (k - 1 - o_P) per axis."""
    ((oy, Py), (ox, Px)), ((_, Qy), (_, Qx)) = axes(cert, cert.padding), axes(cert, 'full')
    sy, sx = cert.kh - 1 - oy, cert.kw - 1 - ox
    lacks = [not (qy - sy in Py and qx - sx in Px) for qy in Qy for qx in Qx]
    F0, F1 = feature_map(cert, 0, 'full'), feature_map(cert, 1, 'full')
    return Fraction(sum(a * b for a, b, out in zip(F0, F1, lacks) if out), 4 ** (cert.sK + cert.sX))
@functools.cache
def patch_gram(cert):
    """Patch Gram G^P[(c,u),(c',v)] = sum_p X~_c(p+u-o) X~_c'(p+v-o), index (c*kh + u_y)*kw + u_x."""
    ((oy, Py), (ox, Px)), P = axes(cert, cert.padding), cert.padding
    cols = [[x_tilde(cert, P, c, py + uy - oy, px + ux - ox) for py in Py for px in Px]
            for c in range(cert.C) for uy in range(cert.kh) for ux in range(cert.kw)]
    upper = {(r, s): Fraction(dot(cols[r], cols[s]), 4 ** cert.sX) for r in range(len(cols)) for s in range(r, len(cols))}
    return [[upper[min(r, s), max(r, s)] for s in range(len(cols))] for r in range(len(cols))]
def vec(cert, i):
    """vec(K_i), in the order of the patch Gram's index."""
    return [Fraction(v, 1 << cert.sK) for v in cert.Kflat[i]]


# --------------------------------------------- *Deciding interval and threshold checks exactly*
def exact_quotient(a, b):
    q, r = divmod(a, b)
    if r: raise ArithmeticError('inexact division in the fraction-free LDL^T')   # never, by the identity
    return q
def inertia(A, sigma):
    """(#negative, #zero, #positive) eigenvalues of A - sigma*I (Sylvester's law of inertia): the signs of
    the pivots of a symmetric block LDL^T, 1x1 on a non-zero diagonal entry, else 2x2 on [[0,a],[a,0]]
    (one -, one +). Fraction-free: A - sigma*I is scaled to integers by a positive number (inertia
    unchanged), and B holds d * (Schur complement), d the determinant of the pivot block so far, so
    every division is exact (B_ij is a bordered minor: Sylvester's determinant identity)."""
    den = math.lcm(sigma.denominator, *(Fraction(a).denominator for row in A for a in row))
    B = [[int((Fraction(a) - (sigma if r == s else 0)) * den) for s, a in enumerate(row)] for r, row in enumerate(A)]
    live, neg, pos, d = list(range(len(B))), 0, 0, 1
    while live:
        r, s = next(((r, r) for r in live if B[r][r] != 0), None) or next(
            ((r, s) for r in live for s in live if r < s and B[r][s] != 0), (None, None))
        if r is None: return neg, len(live), pos           # what remains is the zero matrix
        a, live = B[r][s], [i for i in live if i not in (r, s)]
        if r == s: neg, pos, d_next = neg + (a * d < 0), pos + (a * d > 0), a          # 1x1 pivot a / d
        else: neg, pos, d_next = neg + 1, pos + 1, exact_quotient(-a * a, d)       # 2x2 pivot: one -, one +
        for k, i in enumerate(live):
            for j in live[k:]:                             # B stays symmetric: j >= i, mirrored
                B[i][j] = B[j][i] = (exact_quotient(a * B[i][j] - B[i][r] * B[r][j], d) if r == s else exact_quotient(
                    a * (B[i][r] * B[s][j] + B[i][s] * B[r][j]) - a * a * B[i][j], d * d))
        d = d_next
    return neg, 0, pos
def lambda_min_in(A, lo, hi): return inertia(A, lo)[0] == 0 and sum(inertia(A, hi)[:2]) >= 1  # none < lo, one <= hi
def lambda_max_in(A, lo, hi): return inertia(A, hi)[2] == 0 and sum(inertia(A, lo)[1:]) >= 1  # none > hi, one >= lo
def wielandt_enclosure(lmin, lmax):
    """Enclosure of w: [(a_max - b_min)/(a_max + b_min), (b_max - a')/(b_max + a')], a' = max(a_min, 0);
    None unless both denominators are positive."""
    (a_min, b_min), (a_max, b_max), a1 = lmin, lmax, max(lmin[0], 0)
    if a_max + b_min <= 0 or b_max + a1 <= 0: return None
    return (a_max - b_min) / (a_max + b_min), (b_max - a1) / (b_max + a1)
def sqrt_enclosure(r):
    """sqrt(p/q) in [floor(sqrt(p q 4^s)) / (q 2^s), (floor(...) + 1) / (q 2^s)], s = 128, p/q in lowest terms."""
    m = math.isqrt(r.numerator * r.denominator * 4 ** SQRT_BITS)
    return Fraction(m, r.denominator * 2 ** SQRT_BITS), Fraction(m + 1, r.denominator * 2 ** SQRT_BITS)
def sqrt_sum_in(rs, lo, hi):
    """Sum of square roots: the sum of lower ends >= lo and the sum of upper ends <= hi."""
    boxes = [sqrt_enclosure(r) for r in rs]
    return sum(b[0] for b in boxes) >= lo and sum(b[1] for b in boxes) <= hi
def at_least(N, D, t): return (N >= 0 and (t <= 0 or N * N >= t * t * D)) or (N < 0 and t < 0 and N * N <= t * t * D)
def at_most(N, D, t): return at_least(-N, D, -t)                   # v = N / sqrt(D), D > 0, compared with t
def in_interval(N, D, iv): return at_least(N, D, iv[0]) and at_most(N, D, iv[1])
def abs_at_least(N, D, t): return t <= 0 or N * N >= t * t * D
def abs_at_most(N, D, t): return t >= 0 and N * N <= t * t * D


# --------------------------------------------------------------- the 4.1 protocol, binary64
def fdiv(x, y):
    """IEEE-754 division (Python raises ZeroDivisionError instead of returning inf or nan)."""
    if y != 0.0: return x / y
    return math.nan if x == 0.0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1.0, y)
def fsum_lr(terms): return functools.reduce(operator.add, terms, 0.0)    # left to right from 0 (not sum(): 3.12+ compensates)
def replay_protocol(a, b, lr, steps):
    """The spec's pseudo-code, statement by statement, on Python floats (binary64, no FMA)."""
    for _ in range(steps):
        n1, n2 = math.sqrt(fsum_lr(x * x for x in a)), math.sqrt(fsum_lr(y * y for y in b))
        c = fdiv(fsum_lr(x * y for x, y in zip(a, b)), n1 * n2)
        ga = [(2.0 * c) * (fdiv(y, n1 * n2) - fdiv(c * x, n1 * n1)) for x, y in zip(a, b)]
        gb = [(2.0 * c) * (fdiv(x, n1 * n2) - fdiv(c * y, n2 * n2)) for x, y in zip(a, b)]
        a, b = [x - lr * g for x, g in zip(a, ga)], [y - lr * g for y, g in zip(b, gb)]
    return a, b


# ------------------------------------------------------------------------------- reporting
def show(x):
    """An exact value for the report, a long one cut in the middle (never used to decide)."""
    s = str(x)
    return s if len(s) <= 80 else f'{s[:36]}...{s[-36:]} ({len(s)} characters)'
def show_iv(iv): return f'[{show(iv[0])}, {show(iv[1])}]'
def show_cos(N, D): return f'{show(N)}/sqrt({show(D)})'
class Report:
    def __init__(self, quiet): self.quiet, self.checks, self.failed = quiet, 0, 0
    def check(self, name, ok, detail=''):
        self.checks, self.failed = self.checks + 1, self.failed + (not ok)
        if not (ok and self.quiet): print(f'[{"ok" if ok else "FAILED"}] {name}: {detail}')
    def verified(self, name, stated, actual, sign=None):
        """stated == recomputed; sign '= 0' or '> 0' adds that check of the stated value."""
        self.check(name, stated == actual, f'stated {show(stated)}, recomputed {show(actual)}')
        if sign: self.check(f'{name} {sign}', stated > 0 if sign == '> 0' else stated == 0, show(stated))
def check_padding(rep, cert, allowed):
    rep.check('padding', cert.padding in allowed, f'{cert.padding} (needs {" or ".join(allowed)})')
def check_cos_interval(rep, name, N, D, iv):
    """The cosine N / sqrt(D) lies in iv (fails if undefined: D = 0, a zero kernel or feature map)."""
    rep.check(name, D > 0 and in_interval(N, D, iv), f'{show_cos(N, D)} in {show_iv(iv)}')
def check_gram(rep, cert, stated):
    """gram g00, g01, g11 verified, g00 > 0, g11 > 0; returns (N, D) with cos_01 = N / sqrt(D)."""
    G = {'g00': gram(cert, 0, 0), 'g01': gram(cert, 0, 1), 'g11': gram(cert, 1, 1)}
    for k in G: rep.verified(f'gram.{k}', stated[k], G[k])
    for k in ('g00', 'g11'): rep.check(f'gram.{k} > 0', G[k] > 0, show(G[k]))
    return G['g01'], G['g00'] * G['g11']
def check_eigenvalues(rep, cert, prefix, lmin, lmax):
    """lambda_min, lambda_max of the patch Gram in the stated intervals, decided by inertia."""
    rep.check(f'{prefix}lambda_min', lambda_min_in(patch_gram(cert), *lmin), f'in {show_iv(lmin)}')
    rep.check(f'{prefix}lambda_max', lambda_max_in(patch_gram(cert), *lmax), f'in {show_iv(lmax)}')
def check_similar_feature_maps(rep, cert, cl):
    """kernel_dot, gram, feature_cosine, feature_cosine_at_least: shared by the first two claim kinds."""
    rep.verified('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1), '= 0')
    (N, D), t = check_gram(rep, cert, cl['gram']), cl['feature_cosine_at_least']
    check_cos_interval(rep, 'feature_cosine', N, D, cl['feature_cosine'])
    rep.check('feature_cosine_at_least', D > 0 and abs_at_least(N, D, t), f'|{show_cos(N, D)}| >= {show(t)}')


# ------------------------------------------------------------------------ *The claim kinds*
def verify_orthogonal_kernels(cert, cl, rep):
    check_similar_feature_maps(rep, cert, cl)
    if 'wielandt' in cl:
        wl = cl['wielandt']
        check_eigenvalues(rep, cert, 'wielandt.', wl['lambda_min'], wl['lambda_max'])
        enc, (lo, hi) = wielandt_enclosure(wl['lambda_min'], wl['lambda_max']), wl['bound']
        rep.check('wielandt.bound', enc is not None and lo <= enc[0] and enc[1] <= hi,
                  f'the enclosure {"(none)" if enc is None else show_iv(enc)} lies in {show_iv((lo, hi))}')
def verify_zero_paper_cs(cert, cl, rep):
    check_similar_feature_maps(rep, cert, cl)
    rep.verified('paper_cs', cl['paper_cs'], paper_cs(cert), '= 0')
    rep.verified('symmetric_cs', cl['symmetric_cs'], symmetric_cs(cert, 0, 1), '> 0')
def verify_orthogonal_feature_maps(cert, cl, rep):
    check_padding(rep, cert, ('full', 'circular'))
    rep.verified('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1))
    rep.verified('paper_cs', cl['paper_cs'], paper_cs(cert), '> 0')
    rep.verified('symmetric_cs', cl['symmetric_cs'], symmetric_cs(cert, 0, 1), '= 0')
    rep.verified('feature_inner_product', cl['feature_inner_product'], gram(cert, 0, 1), '= 0')
def verify_paper_41(cert, cl, rep):
    check_padding(rep, cert, ('valid',))
    steps, lr, L = cl['protocol']['steps'], cl['protocol']['learning_rate'], cert.kw
    a, b, a2, b2 = (cert.kvals[i * L:(i + 1) * L] for i in range(4))
    ra, rb = replay_protocol(a, b, lr, steps)
    bad = sum(not x == y for x, y in zip(ra + rb, a2 + b2))            # entry by entry, as binary64
    rep.check('protocol', bad == 0, f'{steps} steps at learning rate {lr!r}: {bad} of {2 * L} entries differ')
    for i in range(4):
        rep.check(f'kernel {i} non-zero', kernel_dot(cert, i, i) > 0, f'<K,K> = {show(kernel_dot(cert, i, i))}')
        rep.check(f'feature map {i} non-zero', gram(cert, i, i) > 0, f'G_{i}{i} = {show(gram(cert, i, i))}')
    kc = [(kernel_dot(cert, i, j), kernel_dot(cert, i, i) * kernel_dot(cert, j, j)) for i, j in ((0, 1), (2, 3))]
    fc = [(gram(cert, i, j), gram(cert, i, i) * gram(cert, j, j)) for i, j in ((0, 1), (2, 3))]
    for name, (N, D) in zip(('kernel_cosine_before', 'kernel_cosine_after', 'feature_cosine_before',
                             'feature_cosine_after'), kc + fc):
        check_cos_interval(rep, name, N, D, cl[name])
    t, u = cl['kernel_cosine_after_at_most'], cl['feature_cosine_after_at_least']
    rep.check('kernel_cosine_after_at_most', kc[1][1] > 0 and abs_at_most(*kc[1], t), f'|{show_cos(*kc[1])}| <= {show(t)}')
    rep.check('feature_cosine_after_at_least', u is None or (fc[1][1] > 0 and abs_at_least(*fc[1], u)),
              'null (no claim)' if u is None else f'|{show_cos(*fc[1])}| >= {show(u)}')
    defined = fc[0][1] > 0 and fc[1][1] > 0
    rose = defined and fc[1][0] ** 2 * fc[0][1] > fc[0][0] ** 2 * fc[1][1]          # |cos_23| > |cos_01|
    rep.check('feature_similarity_rose', defined and cl['feature_similarity_rose'] == rose,
              f'stated {cl["feature_similarity_rose"]}, recomputed {rose if defined else "undefined"}')
def check_lhs_rhs(rep, cert, cl, rhs_name, rhs):
    """lhs verified as G_01, rhs verified as the theorem's right side, and lhs != rhs."""
    rep.verified('lhs (G_01)', cl['lhs'], gram(cert, 0, 1))
    rep.verified(f'rhs ({rhs_name})', cl['rhs'], rhs)
    rep.check('lhs != rhs', cl['lhs'] != cl['rhs'], f'{show(cl["lhs"])} vs {show(cl["rhs"])}')
def hypothesis_met(theorem, cert):
    """The hypotheses of the theorems (padding, and sizes for T3 under circular padding)."""
    if theorem in ('T1', 'T2', 'T5'): return cert.padding in ('full', 'circular')
    if theorem == 'T3': return cert.padding == 'full' or (
        cert.padding == 'circular' and cert.H >= 2 * cert.kh - 1 and cert.W >= 2 * cert.kw - 1)
    return True                                    # T1b (zero padding; circular is malformed), T4, T6
def verify_theorem(cert, cl, rep):
    met = hypothesis_met(cl['theorem'], cert)
    rep.check('hypothesis_met', cl['hypothesis_met'] == met, f'stated {cl["hypothesis_met"]}, recomputed {met}')
    THEOREMS[cl['theorem']][1](cert, cl, rep)
def theorem_T1(cert, cl, rep):
    check_lhs_rhs(rep, cert, cl, 'closed form', closed_form(cert, cert.padding == 'circular'))
def theorem_T1b(cert, cl, rep):
    check_lhs_rhs(rep, cert, cl, 'closed form - border term', closed_form(cert, False) - border_term(cert))
def theorem_T2(cert, cl, rep):
    check_lhs_rhs(rep, cert, cl, "sum S_01,cc'(d) R^P_cc'(d)",
                  lag_sum(cert, lambda c, c2, d: S(cert, 0, 1, c, c2, d), cert.padding == 'circular'))
def theorem_T6(cert, cl, rep):
    A, v0, v1 = patch_gram(cert), vec(cert, 0), vec(cert, 1)
    check_lhs_rhs(rep, cert, cl, 'vec(K_0)^T G^P vec(K_1)',
                  sum(v0[r] * A[r][s] * v1[s] for r in range(len(A)) for s in range(len(A))))
def theorem_T3(cert, cl, rep):
    rep.check('M >= 3', cert.M >= 3, f'M = {cert.M}')
    for i in range(cert.M): rep.check(f'kernel {i} non-zero', any(cert.Kflat[i]))
    pairs = [(i, j) for i in range(cert.M) for j in range(i + 1, cert.M)]
    for (i, j), stated in zip(pairs, cl['pair_symmetric_cs']):
        rep.verified(f'pair_symmetric_cs ({i},{j})', stated, symmetric_cs(cert, i, j), '= 0')
def theorem_T4(cert, cl, rep):
    rep.verified('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1), '= 0')
    N, D = check_gram(rep, cert, cl['gram'])
    check_eigenvalues(rep, cert, '', cl['lambda_min'], cl['lambda_max'])
    a1, b_max = max(cl['lambda_min'][0], 0), cl['lambda_max'][1]
    w_hi = (b_max - a1) / (b_max + a1) if b_max + a1 > 0 and D > 0 else None    # undefined: the check fails
    rep.check('cos_01^2 > w_hi^2', w_hi is not None and N * N > w_hi * w_hi * D, f'cos_01 {show_cos(N, D)}, w_hi {show(w_hi)}')
def theorem_T5(cert, cl, rep):
    rep.verified('lhs (G_01)', cl['lhs'], gram(cert, 0, 1))
    C, lags, (lo, hi) = range(cert.C), lag_window(cert), cl['bound']
    rs = [sum(S(cert, 0, 1, c, c2, d) ** 2 for d in lags) * sum(R_P(cert, c, c2, d) ** 2 for d in lags)
          for c in C for c2 in C]
    rep.check('bound', sqrt_sum_in(rs, lo, hi), f'the sum of {len(rs)} square roots lies in {show_iv((lo, hi))}')
    rep.check('|lhs| > bound.upper', abs(cl['lhs']) > hi, f'|{show(cl["lhs"])}| vs {show(hi)}')
THEOREMS = {   # claimed.theorem -> (its keys besides theorem and hypothesis_met, verifier)
    'T1': (LHS_RHS, theorem_T1), 'T1b': (LHS_RHS, theorem_T1b), 'T2': (LHS_RHS, theorem_T2), 'T6': (LHS_RHS, theorem_T6),
    'T3': ({'pair_symmetric_cs': exact_list}, theorem_T3),
    'T4': ({'kernel_dot': exact, 'gram': GRAM, 'lambda_min': interval, 'lambda_max': interval}, theorem_T4),
    'T5': ({'lhs': exact, 'bound': interval}, theorem_T5)}
VERIFIERS = {   # claim kind -> (required keys of `claimed` with their types, optional keys, verifier)
    'orthogonal-kernels-similar-feature-maps': (COSINE_KEYS, {'wielandt': record(
        lambda_min=interval, lambda_max=interval, bound=interval)}, verify_orthogonal_kernels),
    'zero-paper-cs-similar-feature-maps': ({**COSINE_KEYS, 'paper_cs': exact, 'symmetric_cs': exact}, {}, verify_zero_paper_cs),
    'orthogonal-feature-maps-for-every-input': (dict.fromkeys(('kernel_dot', 'paper_cs', 'symmetric_cs',
                                                               'feature_inner_product'), exact), {}, verify_orthogonal_feature_maps),
    PAPER_41: ({'protocol': record(steps=lambda v, path: integer(v, path, 1, 100000), learning_rate=number),
                **dict.fromkeys(('kernel_cosine_before', 'kernel_cosine_after', 'feature_cosine_before',
                                 'feature_cosine_after'), interval), 'kernel_cosine_after_at_most': exact,
                'feature_cosine_after_at_least': exact_or_null, 'feature_similarity_rose': boolean}, {}, verify_paper_41),
    THEOREM: (None, None, verify_theorem)}      # keys: THEOREMS


# ------------------------------------------------------------------------------------ main
def check_file(path, max_work, quiet):
    """Check one certificate, print the report, return its exit code."""
    try:                                           # well formed (else 2), then within the limits (else 3)
        kind, cert, claimed, prov = load_certificate(path)
        if max(len(cert.kvals), len(cert.xvals)) > MAX_VALUES: raise Refused('a tensor has more than 10^7 values (no flag lifts it)')
        if work(cert, claimed) > max_work: raise Refused(f'the work W = {work(cert, claimed)} exceeds {max_work}; raise it with --max-work N')
    except Exception as e:                         # Malformed, OSError, RecursionError, MemoryError, ...
        detail = str(e) if isinstance(e, (Malformed, Refused)) else f'{type(e).__name__}: {e}'
        print(f'{"refused" if isinstance(e, Refused) else "malformed"}: {detail}')
        return 3 if isinstance(e, Refused) else 2
    print(f'claim: {kind} {claimed.get("theorem", "")}'.rstrip())
    rep = Report(quiet)
    try:
        cert.build()
        VERIFIERS[kind][2](cert, claimed, rep)
    except Exception as e:                         # never a traceback, never a false "claim holds"
        print(f'error: the check stopped: {type(e).__name__}: {e}')
        return 2
    finally:
        for f in (feature_map, R, patch_gram): f.cache_clear()
    for k in [k for k in PROVENANCE_KEYS if k in prov and not quiet]: print(f'provenance.{k} (unverified): {prov[k]}')
    holds = rep.failed == 0 and rep.checks > 0
    print('claim holds' if holds else 'claim does NOT hold')
    return 0 if holds else 1
def main(argv=None):
    ap = argparse.ArgumentParser(description='Check convsimkit-certificate/2 files (Documentation/Certificates.md).')
    ap.add_argument('--max-work', type=int, default=DEFAULT_MAX_WORK, metavar='N',
                    help=f'refuse a certificate whose work estimate W exceeds N (default {DEFAULT_MAX_WORK})')
    ap.add_argument('--quiet', action='store_true', help='print only the failed checks and the verdict')
    ap.add_argument('--codes', action='store_true', help='print only "EXIT<TAB>FILE" per file (for test harnesses)')
    ap.add_argument('files', nargs='+', metavar='CERT.json')
    args, code = ap.parse_args(argv), 0
    for path in args.files:
        if args.codes:
            with contextlib.redirect_stdout(io.StringIO()): c = check_file(path, args.max_work, True)
            print(f'{c}\t{path}')
        else:
            if len(args.files) > 1: print(f'== {path}')
            c = check_file(path, args.max_work, args.quiet)
        code = max(code, c)
    return code


if __name__ == '__main__':
    if hasattr(sys.stdout, 'reconfigure'): sys.stdout.reconfigure(errors='backslashreplace')
    try: sys.exit(main())
    except KeyboardInterrupt: sys.exit(130)
