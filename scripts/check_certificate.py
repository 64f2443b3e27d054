#!/usr/bin/env python3
"""Second, independent checker of ConvSimKit certificates (convsimkit-certificate/2), written from the spec
Documentation/Certificates.md alone (section names below are its own). Python 3 standard library only; every
quantity is exact (int, Fraction) but the binary64 replay of the 4.1 protocol. Exit codes: 0 the claim holds,
1 it does not, 2 malformed, 3 refused (*Limits*). Usage: check_certificate.py [--max-work N] [--quiet] [--codes] F...
A dataset claim (DATASET) is checked for its stated patch-Gram box (there is no --stats here: see the spec)."""
import argparse, contextlib, functools, io, json, math, operator, os, re, sys
from fractions import Fraction
if hasattr(sys, 'set_int_max_str_digits'): sys.set_int_max_str_digits(0)    # exact strings have up to 10,000 digits
FORMAT, PAPER_41 = 'convsimkit-certificate/2', 'orthogonalized-kernels-feature-similarity'
THEOREM, PADDINGS = 'theorem-counterexample', ('valid', 'same', 'full', 'circular')
DATASET = 'orthogonal-kernels-similar-dataset-feature-maps'      # data.patch_gram in place of data.input
MAX_FILE_BYTES, MAX_DEPTH, MAX_VALUES, DEFAULT_MAX_WORK = 64 * 1024 * 1024, 64, 10 ** 7, 2 * 10 ** 8
MAX_EXACT_CHARS, MAX_EXPONENT, SQRT_BITS = 10000, 1000, 128
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
def nesting_depth(doc):                              # of arrays and objects, level by level (a scalar: 0)
    depth, level = 0, [doc]
    while level := [v for v in level if isinstance(v, (dict, list))]:
        depth, level = depth + 1, [w for v in level for w in (v.values() if isinstance(v, dict) else v)]
    return depth
def read_json(path):                                 # refused over 64 MiB; malformed unless UTF-8 JSON <= 64 deep
    with open(path, 'rb') as f: raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES: raise Refused('the file exceeds the 64 MiB file-size limit (no flag lifts it)')
    try: doc = json.loads(raw.decode('utf-8'), object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                          parse_int=lambda s: JInt(s) if len(s.lstrip('-')) <= 18 else float(s))
    except RecursionError: doc = None                # nested far deeper than 64
    except (UnicodeDecodeError, json.JSONDecodeError) as e: raise Malformed(f'not JSON (UTF-8): {e}')
    if doc is None or nesting_depth(doc) > MAX_DEPTH: raise Malformed(f'JSON nesting depth exceeds {MAX_DEPTH}')
    try: json.dumps(doc, ensure_ascii=False).encode('utf-8')
    except UnicodeEncodeError: raise Malformed('a string holds an unpaired surrogate (\\ud800-\\udfff escape)')
    return doc
# ------------------------------- value types (*Layout*): readers (value, key path), Malformed naming the path
TYPE_NAMES = {bool: 'a boolean', dict: 'an object', list: 'an array', str: 'a string', type(None): 'null'}
def need(ok, what, v, path):                         # v if ok, else "path: expected what, got (its JSON type)"
    if ok: return v
    raise Malformed(f'{path}: expected {what}, got {TYPE_NAMES.get(type(v), "a number")}')
def expect_object(v, path, required, optional=()):   # every key of `required`, none outside `required` + `optional`
    bad = [f'unknown key {k!r}' for k in need(isinstance(v, dict), 'an object', v, path)
           if k not in required and k not in optional] + [f'missing key {k!r}' for k in required if k not in v]
    if bad: raise Malformed(f'{path}: {bad[0]}')
    return v
def fields(v, path, spec, optional={}):              # exactly the keys of `spec` (+ any of `optional`), each read
    expect_object(v, path, spec, optional)
    return {k: read(v[k], f'{path}.{k}') for k, read in {**spec, **optional}.items() if k in v}
def record(**spec): return lambda v, path: fields(v, path, spec)
def choice(v, path, options): return need(isinstance(v, str) and v in options, f'one of {", ".join(options)}', v, path)
EXACT_RE = re.compile(r'(-?)([0-9]+)(?:/([0-9]+)|(?:\.([0-9]+))?(?:[eE]([-+]?[0-9]+))?)')
def exact(v, path):
    """Type `exact`: "n", "p/q" (q >= 1), "m.f" or "m[.f]e±x" (|x| <= 1000), as the rational it denotes."""
    m = EXACT_RE.fullmatch(v) if isinstance(v, str) and len(v) <= MAX_EXACT_CHARS else None
    need(m, 'an exact number (integer, p/q or decimal string, <= 10,000 characters)', v, path)
    sign, whole, q, frac, e = m.groups('')           # '' for a part that is absent
    if q and int(q) == 0: raise Malformed(f'{path}: a fraction with denominator 0')
    if e and abs(int(e)) > MAX_EXPONENT: raise Malformed(f'{path}: exponent beyond +-1000')   # before 10^|e|
    value = Fraction(int(whole), int(q)) if q else int(whole + frac) * Fraction(10) ** (int(e or 0) - len(frac))
    return -value if sign else value
def interval(v, path):                               # type `interval`, as (lower, upper)
    lo, hi = fields(v, path, {'lower': exact, 'upper': exact}).values()
    return (lo, hi) if lo <= hi else need(False, 'lower <= upper', v, path)
def number(v, path): return float(need(type(v) in (JInt, float) and math.isfinite(v), 'a finite number', v, path))
def integer(v, path, lo=1, hi=10 ** 18):
    return int(need(type(v) is JInt and lo <= v <= hi, f'a JSON integer in {lo}..{hi} (<= 18 digits)', v, path))
def boolean(v, path): return need(isinstance(v, bool), 'true or false', v, path)
def tau(v, path): return need(0 < exact(v, path) <= 1, 'an exact threshold with 0 < tau <= 1', exact(v, path), path)
def exact_list(v, p): return [exact(x, f'{p}[{k}]') for k, x in enumerate(need(isinstance(v, list), 'an array', v, p))]
def exact_or_null(v, path): return None if v is None else exact(v, path)
GRAM, LHS_RHS = record(g00=exact, g01=exact, g11=exact), {'lhs': exact, 'rhs': exact}
GRAM_BOX = record(g00=interval, g01=interval, g11=interval)      # DATASET: each Gram entry an interval
COSINE_KEYS = {'kernel_dot': exact, 'gram': GRAM, 'feature_cosine': interval, 'feature_cosine_at_least': tau}
# ---------------------------------------------------------------------------- the certificate
def tensor(v, path, rank, arrays=('values',)):       # {"shape": [rank integers >= 1], "values": [prod(shape) numbers]}
    shape = expect_object(v, path, ('shape', *arrays))['shape']     # (+ "bound" alike for data.patch_gram)
    need(isinstance(shape, list) and len(shape) == rank, f'an array of {rank} integers', shape, f'{path}.shape')
    dims = [integer(s, f'{path}.shape[{k}]') for k, s in enumerate(shape)]
    for a in arrays:
        need(isinstance(v[a], list) and len(v[a]) == math.prod(dims), 'prod(shape) numbers', v[a], f'{path}.{a}')
    return (dims, *([number(x, f'{path}.{a}[{k}]') for k, x in enumerate(v[a])] for a in arrays))
def dyadic_ints(values):                             # binary64 values as integers ints_k / 2^s, one s for all
    ratios = [x.as_integer_ratio() for x in values]  # every denominator is a power of 2
    s = max(q.bit_length() - 1 for _, q in ratios)
    return [p << (s - q.bit_length() + 1) for p, q in ratios], s
def reshape(flat, dims):                             # row-major nested lists of shape dims
    for d in reversed(dims[1:]): flat = [flat[k:k + d] for k in range(0, len(flat), d)]
    return flat
class Cert:
    """The data. build() (after the limits) scales them to integers: K[i][c][u_y][u_x] = Kint / 2^sK, X[c][y][x] =
    Xint / 2^sX, Kflat[i] = vec(K_i); the sums below run on these and divide by kk = 4^sK, xx = 4^sX per factor pair."""
    def __init__(self, padding, kdims, kvals, xdims, xvals):
        self.padding, self.kdims, self.kvals, self.xdims, self.xvals = padding, kdims, kvals, xdims, xvals
        (self.M, self.C, self.kh, self.kw), (_, self.H, self.W) = kdims, xdims
        self.tensors = {'data.kernels': kvals, 'data.input': xvals}   # for the limit on values per tensor
    def build(self):
        (k, self.sK), (x, self.sX), n = dyadic_ints(self.kvals), dyadic_ints(self.xvals), self.C * self.kh * self.kw
        self.K, self.X, self.Kflat = reshape(k, self.kdims), reshape(x, self.xdims), reshape(k, [self.M, n])
        self.kk, self.xx = 4 ** self.sK, 4 ** self.sX   # the denominators of products of two kernel, two input values
class GramCert:
    """The data of DATASET: kernels and the patch-Gram box, n = C·kh·kw. build() scales them to integers: Kflat[i] =
    vec(K_i) = Kint / 2^sK, values_rs = V[r][s] / 2^sV, bound_rs = B[r][s] / 2^sB; kk = 4^sK as in Cert."""
    def __init__(self, padding, kdims, kvals, gvals, gbound):
        self.padding, self.kdims, self.kvals, self.gvals, self.gbound = padding, kdims, kvals, gvals, gbound
        (self.M, self.C, self.kh, self.kw), self.n = kdims, kdims[1] * kdims[2] * kdims[3]
        self.tensors = {'data.kernels': kvals, 'data.patch_gram.values': gvals, 'data.patch_gram.bound': gbound}
    def build(self):
        (k, self.sK), (v, self.sV), (b, self.sB) = (dyadic_ints(t) for t in (self.kvals, self.gvals, self.gbound))
        self.Kflat, self.V, self.B, self.kk = reshape(k, [self.M, self.n]), reshape(v, [self.n] * 2), \
            reshape(b, [self.n] * 2), 4 ** self.sK
def load_certificate(path):                          # (kind, Cert or GramCert, claimed, provenance), or Malformed
    doc = expect_object(read_json(path), '(top level)', ('format', 'claim', 'data', 'claimed', 'provenance'))
    choice(doc['format'], 'format', (FORMAT,))
    kind = choice(doc['claim'], 'claim', VERIFIERS)
    data = expect_object(doc['data'], 'data', ('padding', 'kernels', 'patch_gram' if kind == DATASET else 'input'))
    padding = choice(data['padding'], 'data.padding', PADDINGS)
    kdims, kvals = tensor(data['kernels'], 'data.kernels', 4)
    (M, C, kh, kw), theorem, raw = kdims, None, doc['claimed']
    if kind == DATASET:                              # the box: [n, n] values and bound, n = C·kh·kw, bound >= 0
        gdims, gvals, gbound = tensor(data['patch_gram'], 'data.patch_gram', 2, ('values', 'bound'))
        if gdims != [n := C * kh * kw] * 2:
            raise Malformed(f'data.patch_gram.shape: {gdims}, not [n, n] with n = C·kh·kw = {n}')
        if (k := next((k for k, b in enumerate(gbound) if b < 0), None)) is not None:
            raise Malformed(f'data.patch_gram.bound[{k}]: {gbound[k]!r} < 0')
        cert = GramCert(padding, kdims, kvals, gvals, gbound)
    else:
        xdims, xvals = tensor(data['input'], 'data.input', 3)
        if C != xdims[0]: raise Malformed(f'data: the kernels have C = {C}, the input has C = {xdims[0]}')
        cert, H = Cert(padding, kdims, kvals, xdims, xvals), xdims[1]
    if kind == THEOREM:
        need(isinstance(raw, dict), 'an object', raw, 'claimed')      # claimed.theorem selects the other keys
        theorem = choice(raw.get('theorem'), 'claimed.theorem', THEOREMS)
        claimed = fields(raw, 'claimed', {'theorem': lambda v, p: v, 'hypothesis_met': boolean, **THEOREMS[theorem][0]})
    else: claimed = fields(raw, 'claimed', *VERIFIERS[kind][:2])
    for k, v in expect_object(doc['provenance'], 'provenance', (), PROVENANCE_KEYS).items():
        need(isinstance(v, str), 'a string', v, f'provenance.{k}')
    if kind not in (PAPER_41, THEOREM) and M != 2: raise Malformed(f'data.kernels.shape: M = {M}, not 2')
    if kind == PAPER_41 and (M, C, kh, H) != (4, 1, 1, 1): raise Malformed('data: 4.1 needs [4, 1, 1, L], [1, 1, N]')
    if theorem == 'T3' and len(claimed['pair_symmetric_cs']) != math.comb(M, 2):
        raise Malformed('claimed.pair_symmetric_cs: not one entry per pair i<j')
    if theorem not in (None, 'T3') and M < 2: raise Malformed('data.kernels.shape: the theorem needs kernels 0 and 1')
    if theorem == 'T1b' and padding == 'circular': raise Malformed('data.padding: T1b is stated for zero padding')
    return kind, cert, claimed, doc['provenance']
def work(cert, claimed):
    """W of *Limits*: M·C·|Ω_full|·kh·kw + C²·|D|·(H·W + kh·kw), plus 4n⁴ (eigenvalue intervals),
    n²|Ω_full| (patch Gram), M(M-1)/2·C²·|D|·kh·kw (T3) and steps·L (4.1), where n = C·kh·kw; 6n² for DATASET."""
    if isinstance(cert, GramCert): return 6 * cert.n ** 2        # three centres, three radii
    M, C, kh, kw, H, W, th = cert.M, cert.C, cert.kh, cert.kw, cert.H, cert.W, claimed.get('theorem')
    omega_full, lags, n = (H + kh - 1) * (W + kw - 1), (2 * kh - 1) * (2 * kw - 1), C * kh * kw
    eigen = 'wielandt' in claimed or th == 'T4'                       # eigenvalue intervals stated
    return (M * C * omega_full * kh * kw + C * C * lags * (H * W + kh * kw) + 4 * n ** 4 * eigen
            + n * n * omega_full * (eigen or th == 'T6') + M * (M - 1) // 2 * C * C * lags * kh * kw * (th == 'T3')
            + (claimed['protocol']['steps'] * kw if 'protocol' in claimed else 0))
# ---------------------------------------------------------------------- *Definitions*
def axes(cert, mode):
    """Per axis (y, x): the left pad o and the output positions p (table *Padding*; same = circular)."""
    return [(0, range(n - k + 1)) if mode == 'valid' else (k - 1, range(n + k - 1)) if mode == 'full' else
            ((k - 1) // 2, range(n)) for k, n in ((cert.kh, cert.H), (cert.kw, cert.W))]
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
    return Fraction(dot(feature_map(cert, i, cert.padding), feature_map(cert, j, cert.padding)), cert.kk * cert.xx)
def kernel_dot(cert, a, b):
    """<K_a, K_b> = sum_c sum_u K[a,c](u) K[b,c](u)."""
    return Fraction(dot(cert.Kflat[a], cert.Kflat[b]), cert.kk)
def lag_window(cert): return [(dy, dx) for dy in range(1 - cert.kh, cert.kh) for dx in range(1 - cert.kw, cert.kw)]
def correlate(A, B, d, circular=False):             # sum_q A(q) B(q + d), q in A; B 0 outside, or wrapped (circular)
    (dy, dx), H, W = d, len(A), len(A[0])
    if circular: return sum(A[y][x] * B[(y + dy) % H][(x + dx) % W] for y in range(H) for x in range(W))
    return sum(A[y][x] * B[y + dy][x + dx] for y in range(max(0, -dy), min(H, H - dy))
               for x in range(max(0, -dx), min(W, W - dx)))
def T(cert, i, j, c, c2, d):
    """T_ij,cc'(d) = sum_u K[i,c](u) K[j,c'](u + d), terms with u + d outside the kernel 0."""
    return Fraction(correlate(cert.K[i][c], cert.K[j][c2], d), cert.kk)
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
    return Fraction(correlate(cert.X[c], cert.X[c2], d, circular), cert.xx)
def closed_form(cert, circular, Y=T):
    """Closed form (T1): sum_{c,c',d} T_01,cc'(d) R_cc'(d) (R° if circular); with Y = S, the right side of T2."""
    return sum(Y(cert, 0, 1, c, c2, d) * R(cert, c, c2, d, circular)
               for c in range(cert.C) for c2 in range(cert.C) for d in lag_window(cert))
def border_term(cert):
    """E = sum F^full_0(q) F^full_1(q) over the full outputs q that P lacks (P's p is full p + k - 1 - o_P per axis)."""
    ((oy, Py), (ox, Px)), ((_, Qy), (_, Qx)) = axes(cert, cert.padding), axes(cert, 'full')
    lacks = [qy - (cert.kh - 1 - oy) not in Py or qx - (cert.kw - 1 - ox) not in Px for qy in Qy for qx in Qx]
    F0, F1 = feature_map(cert, 0, 'full'), feature_map(cert, 1, 'full')
    return Fraction(sum(a * b for a, b, out in zip(F0, F1, lacks) if out), cert.kk * cert.xx)
@functools.cache
def patch_gram(cert):
    """Patch Gram G^P[(c,u),(c',v)] = sum_p X~_c(p+u-o) X~_c'(p+v-o), index (c*kh + u_y)*kw + u_x."""
    ((oy, Py), (ox, Px)), P, n = axes(cert, cert.padding), cert.padding, cert.C * cert.kh * cert.kw
    cols = [[x_tilde(cert, P, c, py + uy - oy, px + ux - ox) for py in Py for px in Px]
            for c in range(cert.C) for uy in range(cert.kh) for ux in range(cert.kw)]
    upper = {(r, s): Fraction(dot(cols[r], cols[s]), cert.xx) for r in range(n) for s in range(r, n)}
    return [[upper[min(r, s), max(r, s)] for s in range(n)] for r in range(n)]
def patch_form(cert):
    """vec(K_0)^T G^P vec(K_1), vec(K_i) in the order of the patch Gram's index."""
    A, (v0, v1) = patch_gram(cert), ([Fraction(v, 2 ** cert.sK) for v in cert.Kflat[i]] for i in (0, 1))
    return sum(v0[r] * A[r][s] * v1[s] for r in range(len(A)) for s in range(len(A)))
def box_enclosures(cert):
    """DATASET, a = vec(K_0), b = vec(K_1): (c_xy, rho_xy) for xy = aa, ab, bb; centre c_xy = sum_rs x_r values_rs
    y_s, radius rho_xy = sum_rs |x_r| bound_rs |y_s|. Matrix-vector products on integers (4n² products), then exact."""
    (a, b), cd, rd = cert.Kflat[:2], cert.kk << cert.sV, cert.kk << cert.sB     # units 2^-(2sK+sV), 2^-(2sK+sB)
    (Va, Vb), (pa, pb) = ([dot(row, y) for row in cert.V] for y in (a, b)), ([abs(x) for x in y] for y in (a, b))
    Ba, Bb = ([dot(row, y) for row in cert.B] for y in (pa, pb))
    return [(Fraction(dot(x, Vy), cd), Fraction(dot(px, By), rd)) for x, px, Vy, By in
            ((a, pa, Va, Ba), (a, pa, Vb, Bb), (b, pb, Vb, Bb))]
# --------------------------------------------- *Deciding interval and threshold checks exactly*
def exact_quotient(a, b):
    q, r = divmod(a, b)
    if r: raise ArithmeticError('inexact division in the fraction-free LDL^T')   # never, by the identity
    return q
def inertia(A, sigma):
    """(#negative, #zero, #positive) eigenvalues of A - sigma*I (Sylvester's law of inertia): the pivot signs of a
    symmetric block LDL^T, 1x1 on a non-zero diagonal entry, else 2x2 on [[0,a],[a,0]] (one -, one +). Fraction-free,
    on integers: B holds d * (Schur complement), d the pivots' determinant so far; divisions are exact (Sylvester)."""
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
                B[i][j] = B[j][i] = exact_quotient(a * B[i][j] - B[i][r] * B[r][j], d) if r == s else \
                    exact_quotient(a * (B[i][r] * B[s][j] + B[i][s] * B[r][j]) - a * a * B[i][j], d * d)
        d = d_next
    return neg, 0, pos
def lambda_min_in(A, lo, hi): return inertia(A, lo)[0] == 0 and sum(inertia(A, hi)[:2]) >= 1  # none < lo, one <= hi
def lambda_max_in(A, lo, hi): return inertia(A, hi)[2] == 0 and sum(inertia(A, lo)[1:]) >= 1  # none > hi, one >= lo
def wielandt_enclosure(lmin, lmax):
    """w in [(a_max - b_min)/(a_max + b_min), (b_max - a')/(b_max + a')], a' = max(a_min, 0); None if a denominator
    is <= 0 (checked before dividing)."""
    (a_min, b_min), (a_max, b_max), a1 = lmin, lmax, max(lmin[0], 0)
    if a_max + b_min <= 0 or b_max + a1 <= 0: return None
    return (a_max - b_min) / (a_max + b_min), (b_max - a1) / (b_max + a1)
def sqrt_enclosure(r):
    """sqrt(p/q) in [floor(sqrt(p q 4^s)) / (q 2^s), (floor(...) + 1) / (q 2^s)], s = 128, p/q in lowest terms."""
    m, q = math.isqrt(r.numerator * r.denominator * 4 ** SQRT_BITS), r.denominator * 2 ** SQRT_BITS
    return Fraction(m, q), Fraction(m + 1, q)
def sqrt_sum_in(rs, lo, hi):                         # sum of the lower ends >= lo, sum of the upper ends <= hi
    boxes = [sqrt_enclosure(r) for r in rs]
    return sum(b[0] for b in boxes) >= lo and sum(b[1] for b in boxes) <= hi
def at_least(N, D, t): return (N >= 0 and (t <= 0 or N * N >= t * t * D)) or (N < 0 and t < 0 and N * N <= t * t * D)
def at_most(N, D, t): return at_least(-N, D, -t)                   # v = N / sqrt(D), D > 0, compared with t
def in_interval(N, D, iv): return at_least(N, D, iv[0]) and at_most(N, D, iv[1])
def abs_at_least(N, D, t): return t <= 0 or N * N >= t * t * D
def abs_at_most(N, D, t): return t >= 0 and N * N <= t * t * D
# --------------------------------------------------------------- the 4.1 protocol, binary64
def fdiv(x, y):                                      # IEEE-754 x / y (Python raises ZeroDivisionError instead)
    if y != 0.0: return x / y
    return math.nan if x == 0.0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1.0, y)
def fsum_lr(terms): return functools.reduce(operator.add, terms, 0.0)    # left to right from 0 (sum() compensates)
def replay_protocol(a, b, lr, steps):                # the spec's pseudo-code on Python floats (binary64, no FMA)
    for _ in range(steps):
        n1, n2 = math.sqrt(fsum_lr(x * x for x in a)), math.sqrt(fsum_lr(y * y for y in b))
        c = fdiv(fsum_lr(x * y for x, y in zip(a, b)), n1 * n2)
        ga = [(2.0 * c) * (fdiv(y, n1 * n2) - fdiv(c * x, n1 * n1)) for x, y in zip(a, b)]
        gb = [(2.0 * c) * (fdiv(x, n1 * n2) - fdiv(c * y, n2 * n2)) for x, y in zip(a, b)]
        a, b = [x - lr * g for x, g in zip(a, ga)], [y - lr * g for y, g in zip(b, gb)]
    return a, b
# ------------------------------------------------------------------------------- reporting
def show(x): return s if len(s := str(x)) <= 80 else f'{s[:36]}...{s[-36:]} ({len(s)} characters)'   # exact value
def show_iv(iv): return f'[{show(iv[0])}, {show(iv[1])}]' if iv else '(none)'
class Report:
    def __init__(self, quiet): self.quiet, self.checks, self.failed = quiet, 0, 0
    def check(self, name, ok, detail=''):
        self.checks, self.failed = self.checks + 1, self.failed + (not ok)
        if not (ok and self.quiet): print(f'[{"ok" if ok else "FAILED"}] {name}: {detail}')
    def verified(self, name, stated, actual, sign=None):   # stated == recomputed, and stated '= 0' or '> 0' if given
        self.check(name, stated == actual, f'stated {show(stated)}, recomputed {show(actual)}')
        if sign: self.check(f'{name} {sign}', stated > 0 if sign == '> 0' else stated == 0, show(stated))
    def cosine(self, name, N, D, iv):                # N / sqrt(D) in iv; fails if undefined (D = 0: a zero map)
        self.check(name, D > 0 and in_interval(N, D, iv), f'{show(N)} / sqrt({show(D)}) in {show_iv(iv)}')
def check_pair(rep, cert, cl):                       # kernel_dot verified and 0; gram verified, g00 > 0, g11 > 0
    rep.verified('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1), '= 0')
    G = {'g00': gram(cert, 0, 0), 'g01': gram(cert, 0, 1), 'g11': gram(cert, 1, 1)}
    for k in G: rep.verified(f'gram.{k}', cl['gram'][k], G[k])
    for k in ('g00', 'g11'): rep.check(f'gram.{k} > 0', G[k] > 0, show(G[k]))
    return G['g01'], G['g00'] * G['g11']             # (N, D): cos_01 = N / sqrt(D)
def check_eigenvalues(rep, cert, prefix, lmin, lmax):   # the intervals of the patch Gram's, decided by inertia
    rep.check(f'{prefix}lambda_min', lambda_min_in(patch_gram(cert), *lmin), f'in {show_iv(lmin)}')
    rep.check(f'{prefix}lambda_max', lambda_max_in(patch_gram(cert), *lmax), f'in {show_iv(lmax)}')
def check_similar_feature_maps(rep, cert, cl):       # check_pair, feature_cosine, feature_cosine_at_least
    (N, D), t = check_pair(rep, cert, cl), cl['feature_cosine_at_least']
    rep.cosine('feature_cosine', N, D, cl['feature_cosine'])
    rep.check('feature_cosine_at_least', D > 0 and abs_at_least(N, D, t), f'|cos_01| >= {show(t)}')
# ------------------------------------------------------------------------ *The claim kinds*
def verify_orthogonal_kernels(cert, cl, rep):
    check_similar_feature_maps(rep, cert, cl)
    if 'wielandt' in cl:
        lmin, lmax, (lo, hi) = (cl['wielandt'][k] for k in ('lambda_min', 'lambda_max', 'bound'))
        check_eigenvalues(rep, cert, 'wielandt.', lmin, lmax)
        enc = wielandt_enclosure(lmin, lmax)         # None (a denominator <= 0) fails
        rep.check('wielandt.bound', enc is not None and lo <= enc[0] and enc[1] <= hi, f'enclosure {show_iv(enc)}')
def verify_dataset(cert, cl, rep):                   # the claim for every patch Gram G* in the stated box
    rep.verified('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1), '= 0')
    E = box_enclosures(cert)                         # G_00, G_01, G_11 in [c - rho, c + rho]
    for k, (c, r) in zip(('g00', 'g01', 'g11'), E):   # the stated interval contains the enclosure
        (lo, hi), enc = cl['gram'][k], (c - r, c + r)
        rep.check(f'gram.{k}', lo <= enc[0] and enc[1] <= hi, f'enclosure {show_iv(enc)} in {show_iv((lo, hi))}')
    ((c00, r00), (c01, r01), (c11, r11)), t = E, cl['feature_cosine_at_least']
    lows = {'c_aa - rho_aa > 0': c00 - r00, 'c_bb - rho_bb > 0': c11 - r11, 'L = |c_ab| - rho_ab > 0': abs(c01) - r01}
    for name, v in lows.items(): rep.check(name, v > 0, show(v))
    L, U = lows['L = |c_ab| - rho_ab > 0'], (c00 + r00) * (c11 + r11)    # cos_01^2 >= L^2 / (U_00 U_11)
    rep.check('feature_cosine_at_least', all(v > 0 for v in lows.values()) and L * L >= t * t * U,
              f'L^2 >= tau^2 U_00 U_11 (|cos_01| >= {show(t)} on the whole box)')
def verify_zero_paper_cs(cert, cl, rep):
    check_similar_feature_maps(rep, cert, cl)
    rep.verified('paper_cs', cl['paper_cs'], paper_cs(cert), '= 0')
    rep.verified('symmetric_cs', cl['symmetric_cs'], symmetric_cs(cert, 0, 1), '> 0')
def verify_orthogonal_feature_maps(cert, cl, rep):
    rep.check('padding', cert.padding in ('full', 'circular'), f'{cert.padding} (needs full or circular)')
    rep.verified('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1))
    rep.verified('paper_cs', cl['paper_cs'], paper_cs(cert), '> 0')
    rep.verified('symmetric_cs', cl['symmetric_cs'], symmetric_cs(cert, 0, 1), '= 0')
    rep.verified('feature_inner_product', cl['feature_inner_product'], gram(cert, 0, 1), '= 0')
def verify_paper_41(cert, cl, rep):
    rep.check('padding', cert.padding == 'valid', f'{cert.padding} (needs valid)')
    steps, lr, L = cl['protocol']['steps'], cl['protocol']['learning_rate'], cert.kw
    a, b, a2, b2 = (cert.kvals[i * L:(i + 1) * L] for i in range(4))
    ra, rb = replay_protocol(a, b, lr, steps)
    bad = sum(not x == y for x, y in zip(ra + rb, a2 + b2))            # entry by entry, as binary64
    rep.check('protocol', bad == 0, f'{steps} steps at learning rate {lr!r}: {bad} of {2 * L} entries differ')
    for i in range(4):
        rep.check(f'kernel {i} non-zero', kernel_dot(cert, i, i) > 0, f'<K,K> = {show(kernel_dot(cert, i, i))}')
        rep.check(f'feature map {i} non-zero', gram(cert, i, i) > 0, f'G_{i}{i} = {show(gram(cert, i, i))}')
    kc, fc = ([(f(cert, i, j), f(cert, i, i) * f(cert, j, j)) for i, j in ((0, 1), (2, 3))] for f in (kernel_dot, gram))
    for name, (N, D) in zip(('kernel_cosine_before', 'kernel_cosine_after', 'feature_cosine_before',
                             'feature_cosine_after'), kc + fc): rep.cosine(name, N, D, cl[name])
    t, u = cl['kernel_cosine_after_at_most'], cl['feature_cosine_after_at_least']
    rep.check('kernel_cosine_after_at_most', kc[1][1] > 0 and abs_at_most(*kc[1], t), f'|cos(K_2, K_3)| <= {show(t)}')
    rep.check('feature_cosine_after_at_least', u is None or fc[1][1] > 0 and abs_at_least(*fc[1], u), f'>= {show(u)}')
    defined = fc[0][1] > 0 and fc[1][1] > 0
    rose = defined and fc[1][0] ** 2 * fc[0][1] > fc[0][0] ** 2 * fc[1][1]          # |cos_23| > |cos_01|
    rep.check('feature_similarity_rose', defined and cl['feature_similarity_rose'] == rose, f'recomputed {rose}')
def verify_theorem(cert, cl, rep):                   # hypothesis_met verified (padding; sizes for T3), then the rest
    P, th = cert.padding, cl['theorem']
    met = (P in ('full', 'circular') if th in ('T1', 'T2', 'T5') else P == 'full' or (
        P == 'circular' and cert.H >= 2 * cert.kh - 1 and cert.W >= 2 * cert.kw - 1) if th == 'T3' else True)
    rep.check('hypothesis_met', cl['hypothesis_met'] == met, f'stated {cl["hypothesis_met"]}, recomputed {met}')
    THEOREMS[th][1](cert, cl, rep)
def identity(rhs_name, rhs):                         # T1, T1b, T2, T6: lhs = G_01, rhs = rhs(cert), lhs != rhs
    def verify(cert, cl, rep):
        rep.verified('lhs (G_01)', cl['lhs'], gram(cert, 0, 1))
        rep.verified(f'rhs ({rhs_name})', cl['rhs'], rhs(cert))
        rep.check('lhs != rhs', cl['lhs'] != cl['rhs'], f'{show(cl["lhs"])} vs {show(cl["rhs"])}')
    return verify
def theorem_T3(cert, cl, rep):
    rep.check('M >= 3', cert.M >= 3, f'M = {cert.M}')
    for i in range(cert.M): rep.check(f'kernel {i} non-zero', any(cert.Kflat[i]))
    for (i, j), stated in zip([(i, j) for i in range(cert.M) for j in range(i + 1, cert.M)], cl['pair_symmetric_cs']):
        rep.verified(f'pair_symmetric_cs ({i},{j})', stated, symmetric_cs(cert, i, j), '= 0')
def theorem_T4(cert, cl, rep):
    N, D = check_pair(rep, cert, cl)
    check_eigenvalues(rep, cert, '', cl['lambda_min'], cl['lambda_max'])
    a1, b_max = max(cl['lambda_min'][0], 0), cl['lambda_max'][1]
    w_hi = (b_max - a1) / (b_max + a1) if b_max + a1 > 0 and D > 0 else None    # undefined: the check fails
    rep.check('cos_01^2 > w_hi^2', w_hi is not None and N * N > w_hi * w_hi * D, f'w_hi = {show(w_hi)}')
def theorem_T5(cert, cl, rep):
    rep.verified('lhs (G_01)', cl['lhs'], gram(cert, 0, 1))
    C, lags, (lo, hi), circ = range(cert.C), lag_window(cert), cl['bound'], cert.padding == 'circular'
    rs = [sum(S(cert, 0, 1, c, c2, d) ** 2 for d in lags) * sum(R(cert, c, c2, d, circ) ** 2 for d in lags)
          for c in C for c2 in C]                    # R^P: R° for circular padding, R otherwise
    rep.check('bound', sqrt_sum_in(rs, lo, hi), f'the sum of {len(rs)} square roots lies in {show_iv((lo, hi))}')
    rep.check('|lhs| > bound.upper', abs(cl['lhs']) > hi, f'|{show(cl["lhs"])}| vs {show(hi)}')
THEOREMS = {   # claimed.theorem -> (its keys besides theorem and hypothesis_met, verifier)
    'T1': (LHS_RHS, identity('closed form', lambda cert: closed_form(cert, cert.padding == 'circular'))),
    'T1b': (LHS_RHS, identity('closed form - border term', lambda cert: closed_form(cert, False) - border_term(cert))),
    'T2': (LHS_RHS, identity("sum S_01,cc'(d) R^P_cc'(d)",
                             lambda cert: closed_form(cert, cert.padding == 'circular', S))),
    'T6': (LHS_RHS, identity('vec(K_0)^T G^P vec(K_1)', patch_form)),
    'T3': ({'pair_symmetric_cs': exact_list}, theorem_T3),
    'T4': ({'kernel_dot': exact, 'gram': GRAM, 'lambda_min': interval, 'lambda_max': interval}, theorem_T4),
    'T5': ({'lhs': exact, 'bound': interval}, theorem_T5)}
VERIFIERS = {   # claim kind -> (required keys of `claimed` with their types, optional keys, verifier)
    'orthogonal-kernels-similar-feature-maps': (COSINE_KEYS, {'wielandt': record(
        lambda_min=interval, lambda_max=interval, bound=interval)}, verify_orthogonal_kernels),
    DATASET: ({'kernel_dot': exact, 'gram': GRAM_BOX, 'feature_cosine_at_least': tau}, {}, verify_dataset),
    'zero-paper-cs-similar-feature-maps':
        ({**COSINE_KEYS, 'paper_cs': exact, 'symmetric_cs': exact}, {}, verify_zero_paper_cs),
    'orthogonal-feature-maps-for-every-input': (dict.fromkeys((
        'kernel_dot', 'paper_cs', 'symmetric_cs', 'feature_inner_product'), exact), {}, verify_orthogonal_feature_maps),
    PAPER_41: ({'protocol': record(steps=lambda v, p: integer(v, p, 1, 100000), learning_rate=number), **dict.fromkeys(
        ('kernel_cosine_before', 'kernel_cosine_after', 'feature_cosine_before', 'feature_cosine_after'), interval),
        'kernel_cosine_after_at_most': exact, 'feature_cosine_after_at_least': exact_or_null,
        'feature_similarity_rose': boolean}, {}, verify_paper_41),
    THEOREM: (None, None, verify_theorem)}           # its keys: THEOREMS
# ------------------------------------------------------------------------------------ main
def check_file(path, max_work, quiet):               # prints the report, returns the exit code
    try:                                             # well formed (else 2), then within the limits (else 3)
        kind, cert, claimed, prov = load_certificate(path)
        for name, vals in cert.tensors.items():
            if len(vals) > MAX_VALUES: raise Refused(f'{name}: more than 10^7 values per tensor (no flag lifts it)')
        if (w := work(cert, claimed)) > max_work: raise Refused(f'work W = {w} exceeds {max_work}; raise --max-work N')
    except Exception as e:                           # Malformed, OSError, RecursionError, MemoryError, ...
        known = isinstance(e, (Malformed, Refused))
        print(f'{"refused" if isinstance(e, Refused) else "malformed"}: {e if known else f"{type(e).__name__}: {e}"}')
        return 3 if isinstance(e, Refused) else 2
    print(f'claim: {kind} {claimed.get("theorem", "")}'.rstrip())
    rep = Report(quiet)
    for f in (feature_map, R, patch_gram): f.cache_clear()      # drop the previous certificate's values
    try:
        cert.build()
        VERIFIERS[kind][2](cert, claimed, rep)
    except Exception as e:                           # never a traceback, never a false "claim holds"
        print(f'error: the check stopped: {type(e).__name__}: {e}')
        return 2
    for k in [k for k in PROVENANCE_KEYS if k in prov and not quiet]: print(f'provenance.{k} (unverified): {prov[k]}')
    print('claim holds' if rep.failed == 0 and rep.checks > 0 else 'claim does NOT hold')
    return 0 if rep.failed == 0 and rep.checks > 0 else 1
def main(argv=None):
    ap = argparse.ArgumentParser(description='Check convsimkit-certificate/2 files (Documentation/Certificates.md).')
    ap.add_argument('--max-work', type=int, default=DEFAULT_MAX_WORK, metavar='N', help='refuse a work W over N (2e8)')
    ap.add_argument('--quiet', action='store_true', help='print only the failed checks and the verdict')
    ap.add_argument('--codes', action='store_true', help='print only "EXIT<TAB>FILE" per file (for test harnesses)')
    ap.add_argument('files', nargs='+', metavar='CERT.json')
    args, code = ap.parse_args(argv), 0
    for path in args.files:
        if len(args.files) > 1 and not args.codes: print(f'== {path}')
        with contextlib.redirect_stdout(io.StringIO()) if args.codes else contextlib.nullcontext():
            c = check_file(path, args.max_work, args.quiet or args.codes)
        code = max(code, c)
        if args.codes: print(f'{c}\t{path}')
    return code
if __name__ == '__main__':
    if hasattr(sys.stdout, 'reconfigure'): sys.stdout.reconfigure(errors='backslashreplace')
    try: sys.exit(main())
    except KeyboardInterrupt: sys.exit(130)
    except BrokenPipeError:                        # output closed early (e.g. `| head`): no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno()); sys.exit(1)
