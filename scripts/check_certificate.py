#!/usr/bin/env python3
"""Second, independent checker for ConvSimKit certificates (convsimkit-certificate/2).

Written from Documentation/Certificates.md alone, never from the Swift sources. Python 3 standard
library only. Every quantity is exact (int, Fraction); the one use of floating point is the replay
of the 4.1 protocol, which the spec defines in binary64. Section names below are the spec's.
Usage: python3 scripts/check_certificate.py [--max-work N] [--quiet] CERT.json [CERT.json ...]
Exit codes: 0 the claim holds, 1 it does not, 2 malformed, 3 refused (a limit of *Limits*).
"""
import argparse
import contextlib
import io
import json
import math
import re
import sys
from fractions import Fraction

if hasattr(sys, 'set_int_max_str_digits'):
    sys.set_int_max_str_digits(0)     # exact strings have up to 10,000 digits
FORMAT = 'convsimkit-certificate/2'
MAX_FILE_BYTES, MAX_DEPTH, MAX_VALUES, DEFAULT_MAX_WORK = 64 * 1024 * 1024, 64, 10 ** 7, 2 * 10 ** 8
MAX_EXACT_CHARS, MAX_EXPONENT, SQRT_BITS = 10000, 1000, 128
PADDINGS = ('valid', 'same', 'full', 'circular')
PROVENANCE_KEYS = ('command', 'seed', 'statement', 'input_description', 'strategy', 'tool')
class Malformed(Exception): """Exit code 2."""
class Refused(Exception): """Exit code 3."""
class JInt(int): """A JSON integer literal of at most 18 digits (a longer one is kept as its binary64)."""


# ------------------------------------------------------------------------ reading the file
def _int_literal(text): return JInt(text) if len(text.lstrip('-')) <= 18 else float(text)
def _reject_constant(name): raise Malformed(f'{name} is not a JSON number')
def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj: raise Malformed(f'duplicated key {key!r}')
        obj[key] = value
    return obj
def nesting_depth(doc):
    best, stack = 0, [(doc, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            best = max(best, d)
            stack.extend((w, d + 1) for w in (v.values() if isinstance(v, dict) else v))
    return best
def read_json(path):
    with open(path, 'rb') as f:
        raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES: raise Refused('the file exceeds the 64 MiB file-size limit (no flag lifts it)')
    try:
        doc = json.loads(raw.decode('utf-8'), object_pairs_hook=_no_duplicates, parse_int=_int_literal,
                         parse_float=float, parse_constant=_reject_constant)
    except RecursionError: doc = None      # nested far deeper than 64
    except (UnicodeDecodeError, json.JSONDecodeError) as e: raise Malformed(f'not JSON (UTF-8): {e}')
    if doc is None or nesting_depth(doc) > MAX_DEPTH: raise Malformed(f'JSON nesting depth exceeds {MAX_DEPTH}')
    try: json.dumps(doc, ensure_ascii=False).encode('utf-8')
    except UnicodeEncodeError: raise Malformed('a string holds an unpaired surrogate (\\ud800-\\udfff escape)')
    return doc


# ------------------------------------------- value types (*Layout*); every reader raises Malformed
def type_name(v):
    if isinstance(v, bool): return 'a boolean'
    return {dict: 'an object', list: 'an array', str: 'a string', type(None): 'null'}.get(type(v), 'a number')
def expect_object(v, path, required, optional=()):
    if not isinstance(v, dict): raise Malformed(f'{path}: expected an object, got {type_name(v)}')
    for k in v:
        if k not in required and k not in optional: raise Malformed(f'{path}: unknown key {k!r}')
    for k in required:
        if k not in v: raise Malformed(f'{path}: missing key {k!r}')
    return v
def fields(v, path, spec, optional={}):
    """An object with exactly the keys of `spec` (and any of `optional`), each read by its type."""
    expect_object(v, path, tuple(spec), tuple(optional))
    return {k: read(v[k], f'{path}.{k}') for k, read in {**spec, **optional}.items() if k in v}
FRACTION_RE = re.compile(r'(-?[0-9]+)/([0-9]+)')
DECIMAL_RE = re.compile(r'(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([-+]?)([0-9]+))?')     # and the integers
def exact(v, path):
    """Type `exact`: an integer, fraction or decimal string, as the rational number it denotes."""
    if not isinstance(v, str): raise Malformed(f'{path}: expected an exact number (a string), got {type_name(v)}')
    if len(v) > MAX_EXACT_CHARS: raise Malformed(f'{path}: exact string longer than {MAX_EXACT_CHARS} characters')
    m = FRACTION_RE.fullmatch(v)
    if m:
        if int(m.group(2)) < 1: raise Malformed(f'{path}: fraction {v!r} has denominator 0')
        return Fraction(int(m.group(1)), int(m.group(2)))
    m = DECIMAL_RE.fullmatch(v)
    if not m: raise Malformed(f'{path}: {v[:40]!r} is not an exact number (integer, p/q or decimal)')
    sign, whole, frac, esign, edigits = m.groups()
    exponent, frac = int(esign + edigits) if edigits else 0, frac or ''       # at most 10,000 digits
    if abs(exponent) > MAX_EXPONENT: raise Malformed(f'{path}: decimal exponent beyond +-{MAX_EXPONENT}')
    scale, mantissa = exponent - len(frac), int(whole + frac)      # 10^|scale| only after the check
    value = Fraction(mantissa * 10 ** scale) if scale >= 0 else Fraction(mantissa, 10 ** -scale)
    return -value if sign else value
def interval(v, path):
    iv = fields(v, path, {'lower': exact, 'upper': exact})
    if iv['lower'] > iv['upper']: raise Malformed(f'{path}: lower > upper')
    return iv['lower'], iv['upper']
def number(v, path):
    """Type `number` and the data values: the nearest binary64 to the text, which must be finite."""
    if isinstance(v, bool) or not isinstance(v, (JInt, float)):
        raise Malformed(f'{path}: expected a number, got {type_name(v)}')
    if not math.isfinite(float(v)): raise Malformed(f'{path}: the number is not a finite binary64 value')
    return float(v)
def integer(v, path, lo, hi):
    if type(v) is not JInt: raise Malformed(f'{path}: expected a JSON integer (<= 18 digits), got {type_name(v)}')
    if not lo <= v <= hi: raise Malformed(f'{path}: integer out of range {lo}..{hi}')
    return int(v)
def boolean(v, path):
    if not isinstance(v, bool): raise Malformed(f'{path}: expected true or false, got {type_name(v)}')
    return v
def tau(v, path):
    if not 0 < exact(v, path) <= 1: raise Malformed(f'{path}: the threshold must satisfy 0 < tau <= 1')
    return exact(v, path)
def exact_list(v, path):
    if not isinstance(v, list): raise Malformed(f'{path}: expected an array, got {type_name(v)}')
    return [exact(x, f'{path}[{k}]') for k, x in enumerate(v)]
def exact_or_null(v, p): return None if v is None else exact(v, p)
def gram_t(v, p): return fields(v, p, {'g00': exact, 'g01': exact, 'g11': exact})
def wielandt_t(v, p): return fields(v, p, {'lambda_min': interval, 'lambda_max': interval, 'bound': interval})
def protocol_t(v, p): return fields(v, p, {'steps': lambda x, q: integer(x, q, 1, 100000), 'learning_rate': number})
COSINE_KEYS = {'kernel_dot': exact, 'gram': gram_t, 'feature_cosine': interval, 'feature_cosine_at_least': tau}
SCHEMAS = {   # claim kind -> (required, optional) keys of `claimed`, each with its type
    'orthogonal-kernels-similar-feature-maps': (COSINE_KEYS, {'wielandt': wielandt_t}),
    'zero-paper-cs-similar-feature-maps': ({**COSINE_KEYS, 'paper_cs': exact, 'symmetric_cs': exact}, {}),
    'orthogonal-feature-maps-for-every-input': (
        {'kernel_dot': exact, 'paper_cs': exact, 'symmetric_cs': exact, 'feature_inner_product': exact}, {}),
    'orthogonalized-kernels-feature-similarity': (
        {'protocol': protocol_t, 'kernel_cosine_before': interval, 'kernel_cosine_after': interval,
         'feature_cosine_before': interval, 'feature_cosine_after': interval, 'kernel_cosine_after_at_most': exact,
         'feature_cosine_after_at_least': exact_or_null, 'feature_similarity_rose': boolean}, {})}
LHS_RHS = {'lhs': exact, 'rhs': exact}
THEOREM_SCHEMAS = {t: {'hypothesis_met': boolean, **keys} for t, keys in {
    'T1': LHS_RHS, 'T1b': LHS_RHS, 'T2': LHS_RHS, 'T6': LHS_RHS, 'T3': {'pair_symmetric_cs': exact_list},
    'T4': {'kernel_dot': exact, 'gram': gram_t, 'lambda_min': interval, 'lambda_max': interval},
    'T5': {'lhs': exact, 'bound': interval}}.items()}
PAIR_KINDS = ('orthogonal-kernels-similar-feature-maps', 'zero-paper-cs-similar-feature-maps',
              'orthogonal-feature-maps-for-every-input')                  # the kinds with "M = 2"


# ---------------------------------------------------------------------------- the certificate
def tensor(v, path, rank):
    expect_object(v, path, ('shape', 'values'))
    if not isinstance(v['shape'], list) or len(v['shape']) != rank:
        raise Malformed(f'{path}.shape: expected an array of {rank} integers')
    dims, values = [integer(s, f'{path}.shape[{k}]', 1, 10 ** 18) for k, s in enumerate(v['shape'])], v['values']
    if not isinstance(values, list): raise Malformed(f'{path}.values: expected an array, got {type_name(values)}')
    if len(values) != math.prod(dims):
        raise Malformed(f'{path}.values: {len(values)} values, the shape {dims} needs {math.prod(dims)}')
    return dims, [number(x, f'{path}.values[{k}]') for k, x in enumerate(values)]
def dyadic_ints(values):
    """Exact binary64 values as integers under one power-of-two scale: value_k = ints_k / 2^s."""
    ratios = [x.as_integer_ratio() for x in values]                 # every denominator is a power of 2
    s = max(q.bit_length() - 1 for _, q in ratios)
    return [p << (s - q.bit_length() + 1) for p, q in ratios], s
class Cert:
    """The data: K[i][c][u_y][u_x] = Kint / 2^sK, X[c][y][x] = Xint / 2^sX. The inner sums below run
    on these integers; each function divides its sum by the power of two of its degree."""
    def __init__(self, padding, kdims, kvals, xdims, xvals):
        self.padding, (self.M, self.C, self.kh, self.kw), (_, self.H, self.W) = padding, kdims, xdims
        self.kvals, self.xvals, self.cache = kvals, xvals, {}
    def build(self):
        (k, self.sK), (x, self.sX) = dyadic_ints(self.kvals), dyadic_ints(self.xvals)
        M, C, kh, kw, H, W = self.M, self.C, self.kh, self.kw, self.H, self.W
        self.K = [[[[k[((i * C + c) * kh + y) * kw + u] for u in range(kw)] for y in range(kh)] for c in range(C)]
                  for i in range(M)]
        self.X = [[[x[(c * H + y) * W + u] for u in range(W)] for y in range(H)] for c in range(C)]
def load_certificate(path):
    doc = read_json(path)
    expect_object(doc, '(top level)', ('format', 'claim', 'data', 'claimed', 'provenance'))
    if doc['format'] != FORMAT: raise Malformed(f'format: unknown format {str(doc["format"])[:60]!r}')
    kind = doc['claim']
    if not isinstance(kind, str) or kind not in VERIFIERS: raise Malformed(f'claim: unknown kind {str(kind)[:60]!r}')
    data = expect_object(doc['data'], 'data', ('padding', 'kernels', 'input'))
    if data['padding'] not in PADDINGS: raise Malformed(f'data.padding: expected one of {", ".join(PADDINGS)}')
    kdims, kvals = tensor(data['kernels'], 'data.kernels', 4)
    xdims, xvals = tensor(data['input'], 'data.input', 3)
    (M, C, kh, kw), theorem = kdims, None
    if C != xdims[0]: raise Malformed(f'data: the kernels have C = {C}, the input has C = {xdims[0]}')
    if kind == 'theorem-counterexample':
        raw = expect_object(doc['claimed'], 'claimed', ('theorem',), [k for s in THEOREM_SCHEMAS.values() for k in s])
        theorem = raw['theorem']
        if not isinstance(theorem, str) or theorem not in THEOREM_SCHEMAS:
            raise Malformed(f'claimed.theorem: expected one of {", ".join(THEOREM_SCHEMAS)}')
        claimed = fields(raw, 'claimed', {'theorem': lambda v, p: v, **THEOREM_SCHEMAS[theorem]})
    else:
        claimed = fields(doc['claimed'], 'claimed', *SCHEMAS[kind])
    prov = expect_object(doc['provenance'], 'provenance', (), PROVENANCE_KEYS)
    for k, v in prov.items():
        if not isinstance(v, str): raise Malformed(f'provenance.{k}: expected a string, got {type_name(v)}')
    if kind in PAIR_KINDS and M != 2: raise Malformed(f'data.kernels.shape: this claim kind needs M = 2, got {M}')
    if kind == 'orthogonalized-kernels-feature-similarity' and (M, C, kh, xdims[1]) != (4, 1, 1, 1):
        raise Malformed('data: the 4.1 claim needs kernels of shape [4, 1, 1, L] and an input of shape [1, 1, N]')
    if theorem == 'T3' and len(claimed['pair_symmetric_cs']) != M * (M - 1) // 2:
        raise Malformed(f'claimed.pair_symmetric_cs: expected {M * (M - 1) // 2} entries (the pairs i<j)')
    if theorem not in (None, 'T3') and M < 2: raise Malformed('data.kernels.shape: the theorem needs kernels 0 and 1')
    if theorem == 'T1b' and data['padding'] == 'circular': raise Malformed('T1b is stated for zero padding, not circular')
    return kind, Cert(data['padding'], kdims, kvals, xdims, xvals), claimed, prov
def work(kind, cert, claimed):
    """W of *Limits*."""
    M, C, kh, kw, H, W, th = cert.M, cert.C, cert.kh, cert.kw, cert.H, cert.W, claimed.get('theorem')
    omega_full, lags, n = (H + kh - 1) * (W + kw - 1), (2 * kh - 1) * (2 * kw - 1), C * kh * kw
    w = M * C * omega_full * kh * kw + C * C * lags * (H * W + kh * kw)
    eigen = 'wielandt' in claimed or th == 'T4'                       # eigenvalue intervals stated
    w += 4 * n ** 4 if eigen else 0
    w += n * n * omega_full if eigen or th == 'T6' else 0             # the patch Gram
    w += M * (M - 1) // 2 * C * C * lags * kh * kw if th == 'T3' else 0
    return w + (claimed['protocol']['steps'] * kw if 'protocol' in claimed else 0)


# ---------------------------------------------------------------------- *Definitions*
def axis(mode, k, n):
    """Left pad o and the output positions p of one axis (table *Padding*)."""
    if mode == 'valid': return 0, range(n - k + 1)
    return (k - 1, range(n + k - 1)) if mode == 'full' else ((k - 1) // 2, range(n))    # same, circular
def x_tilde(cert, mode, c, sy, sx):
    """X~_c(s): X_c inside the image; outside 0, or wrapped around (mod (H, W)) for circular padding."""
    if mode == 'circular': return cert.X[c][sy % cert.H][sx % cert.W]
    return cert.X[c][sy][sx] if 0 <= sy < cert.H and 0 <= sx < cert.W else 0
def feature_map(cert, i, mode):
    """F_i(p) = sum_c sum_u K[i,c](u) X~_c(p + u - o), as rows F[p_y][p_x], in units of 2^-(sK+sX)."""
    if ('F', i, mode) not in cert.cache:
        (oy, Py), (ox, Px), K = axis(mode, cert.kh, cert.H), axis(mode, cert.kw, cert.W), cert.K[i]
        taps = [(K[c][uy][ux], c, uy - oy, ux - ox) for c in range(cert.C) for uy in range(cert.kh)
                for ux in range(cert.kw) if K[c][uy][ux] != 0]
        cert.cache['F', i, mode] = [[sum(k * x_tilde(cert, mode, c, py + dy, px + dx) for k, c, dy, dx in taps)
                                     for px in Px] for py in Py]
    return cert.cache['F', i, mode]
def gram(cert, i, j):
    """G_ij = sum_p F_i(p) F_j(p) under the data's padding."""
    Fi, Fj = feature_map(cert, i, cert.padding), feature_map(cert, j, cert.padding)
    return Fraction(sum(a * b for ri, rj in zip(Fi, Fj) for a, b in zip(ri, rj)), 1 << 2 * (cert.sK + cert.sX))
def kernel_dot(cert, a, b):
    """<K_a, K_b> = sum_c sum_u K[a,c](u) K[b,c](u)."""
    return Fraction(sum(p * q for ka, kb in zip(cert.K[a], cert.K[b]) for ra, rb in zip(ka, kb)
                        for p, q in zip(ra, rb)), 1 << 2 * cert.sK)
def lag_window(cert): return [(dy, dx) for dy in range(1 - cert.kh, cert.kh) for dx in range(1 - cert.kw, cert.kw)]
def T(cert, i, j, c, c2, d):
    """T_ij,cc'(d) = sum_u K[i,c](u) K[j,c'](u + d), over the u with u + d inside the kernel."""
    Ki, Kj, (dy, dx), kh, kw = cert.K[i][c], cert.K[j][c2], d, cert.kh, cert.kw
    return Fraction(sum(Ki[uy][ux] * Kj[uy + dy][ux + dx] for uy in range(max(0, -dy), min(kh, kh - dy))
                        for ux in range(max(0, -dx), min(kw, kw - dx))), 1 << 2 * cert.sK)
def S(cert, i, j, c, c2, d):
    """S_ij,cc'(d) = (T_ij,cc'(d) + T_ij,c'c(-d)) / 2."""
    return (T(cert, i, j, c, c2, d) + T(cert, i, j, c2, c, (-d[0], -d[1]))) / 2
def paper_cs(cert):
    """Paper CS of the pair (0,1): sum_c sum_d T_01,cc(d)^2."""
    return sum(T(cert, 0, 1, c, c, d) ** 2 for c in range(cert.C) for d in lag_window(cert))
def symmetric_cs(cert, i, j):
    """Symmetric CS of (i,j): sum_c sum_c' sum_d S_ij,cc'(d)^2 over ordered channel pairs."""
    return sum(S(cert, i, j, c, c2, d) ** 2 for c in range(cert.C) for c2 in range(cert.C) for d in lag_window(cert))
def R(cert, c, c2, d, circular):
    """R_cc'(d) = sum_q X_c(q) X_c'(q + d), zero outside (linear) or wrapped around (R°); q over the image."""
    if ('R', c, c2, d, circular) not in cert.cache:
        (dy, dx), H, W, Xc, Xc2 = d, cert.H, cert.W, cert.X[c], cert.X[c2]
        if circular:
            s = sum(Xc[y][x] * Xc2[(y + dy) % H][(x + dx) % W] for y in range(H) for x in range(W))
        else:
            s = sum(Xc[y][x] * Xc2[y + dy][x + dx] for y in range(max(0, -dy), min(H, H - dy))
                    for x in range(max(0, -dx), min(W, W - dx)))
        cert.cache['R', c, c2, d, circular] = Fraction(s, 1 << 2 * cert.sX)
    return cert.cache['R', c, c2, d, circular]
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
    """E = sum of F^full_0 F^full_1 over the full outputs that P (valid, same) lacks; output p of P
    is full output p + (k - 1 - o_P) per axis."""
    (oy, Py), (ox, Px) = axis(cert.padding, cert.kh, cert.H), axis(cert.padding, cert.kw, cert.W)
    sy, sx, F0, F1 = cert.kh - 1 - oy, cert.kw - 1 - ox, feature_map(cert, 0, 'full'), feature_map(cert, 1, 'full')
    return Fraction(sum(F0[qy][qx] * F1[qy][qx] for qy in range(len(F0)) for qx in range(len(F0[qy]))
                        if not (qy - sy in Py and qx - sx in Px)), 1 << 2 * (cert.sK + cert.sX))
def patch_gram(cert):
    """Patch Gram G^P[(c,u),(c',v)] = sum_p X~_c(p+u-o) X~_c'(p+v-o), index (c*kh + u_y)*kw + u_x."""
    if 'patch' not in cert.cache:
        (oy, Py), (ox, Px), P = axis(cert.padding, cert.kh, cert.H), axis(cert.padding, cert.kw, cert.W), cert.padding
        cols = [[x_tilde(cert, P, c, py + uy - oy, px + ux - ox) for py in Py for px in Px]
                for c in range(cert.C) for uy in range(cert.kh) for ux in range(cert.kw)]
        A = [[None] * len(cols) for _ in cols]
        for r in range(len(cols)):
            for s in range(r, len(cols)):
                A[r][s] = A[s][r] = Fraction(sum(a * b for a, b in zip(cols[r], cols[s])), 1 << 2 * cert.sX)
        cert.cache['patch'] = A
    return cert.cache['patch']
def vec(cert, i):
    """vec(K_i), in the order of the patch Gram's index."""
    return [Fraction(v, 1 << cert.sK) for channel in cert.K[i] for row in channel for v in row]


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
    live, neg, zero, pos, d = list(range(len(B))), 0, 0, 0, 1
    while live:
        r = next((r for r in live if B[r][r] != 0), None)
        if r is not None:                                  # 1x1 pivot, of sign sign(B[r][r] / d)
            p = B[r][r]
            neg, pos = neg + (p * d < 0), pos + (p * d > 0)
            live.remove(r)
            for i in live:
                for j in live[live.index(i):]:                 # B stays symmetric: j >= i, mirrored
                    B[i][j] = B[j][i] = exact_quotient(p * B[i][j] - B[i][r] * B[r][j], d)
            d = p
            continue
        pair = next(((r, s) for r in live for s in live if r < s and B[r][s] != 0), None)
        if pair is None: return neg, zero + len(live), pos  # what remains is the zero matrix
        (r, s), a = pair, B[pair[0]][pair[1]]              # 2x2 pivot [[0,a],[a,0]] / d: one -, one +
        neg, pos, live = neg + 1, pos + 1, [i for i in live if i not in pair]
        for i in live:
            for j in live[live.index(i):]:
                num = a * (B[i][r] * B[s][j] + B[i][s] * B[r][j]) - a * a * B[i][j]
                B[i][j] = B[j][i] = exact_quotient(num, d * d)
        d = exact_quotient(-a * a, d)
    return neg, zero, pos
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
    p, q = r.numerator, r.denominator
    m = math.isqrt(p * q * 4 ** SQRT_BITS)
    return Fraction(m, q * 2 ** SQRT_BITS), Fraction(m + 1, q * 2 ** SQRT_BITS)
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
def replay_protocol(a, b, lr, steps):
    """The spec's pseudo-code, statement by statement, on Python floats (binary64, no FMA)."""
    L = len(a)
    for _ in range(steps):
        saa = 0.0
        for i in range(L): saa = saa + a[i] * a[i]
        n1 = math.sqrt(saa)
        sbb = 0.0
        for i in range(L): sbb = sbb + b[i] * b[i]
        n2 = math.sqrt(sbb)
        sab = 0.0
        for i in range(L): sab = sab + a[i] * b[i]
        c = fdiv(sab, n1 * n2)
        ga = [(2.0 * c) * (fdiv(b[i], n1 * n2) - fdiv(c * a[i], n1 * n1)) for i in range(L)]
        gb = [(2.0 * c) * (fdiv(a[i], n1 * n2) - fdiv(c * b[i], n2 * n2)) for i in range(L)]
        a, b = [a[i] - lr * ga[i] for i in range(L)], [b[i] - lr * gb[i] for i in range(L)]
    return a, b


# ------------------------------------------------------------------------------- reporting
def show(x):
    s = str(x)
    if len(s) <= 60: return s
    try: return f'~{float(x):.17g} ({len(s)} characters exactly)'
    except OverflowError: return f'({len(s)} characters exactly, beyond binary64)'
def show_cos(N, D):
    """An approximation of N / sqrt(D) for the report; never used to decide."""
    try: return f'~{math.copysign(math.sqrt(float(Fraction(N * N) / D)), N):.17g}'
    except (OverflowError, ZeroDivisionError): return '(undefined)'
class Report:
    def __init__(self, quiet): self.quiet, self.checks, self.failed = quiet, 0, 0
    def check(self, name, ok, detail=''):
        self.checks, self.failed = self.checks + 1, self.failed + (not ok)
        if not (ok and self.quiet): print(f'[{"ok" if ok else "FAILED"}] {name}: {detail}')
    def verified(self, name, stated, actual):
        differ = '' if stated == actual else f', difference {show(stated - actual)}'
        self.check(name, stated == actual, f'stated {show(stated)}, recomputed {show(actual)}{differ}')
    def verified_sign(self, name, stated, actual, positive):
        """Verified, and > 0 (positive) or = 0."""
        self.verified(name, stated, actual)
        self.check(f'{name} {"> 0" if positive else "= 0"}', stated > 0 if positive else stated == 0, show(stated))
def check_padding(rep, cert, allowed):
    rep.check('padding', cert.padding in allowed, f'{cert.padding} (needs {" or ".join(allowed)})')
def check_cos_interval(rep, name, N, D, iv):
    if D <= 0: return rep.check(name, False, 'undefined: a zero kernel or feature map')
    rep.check(name, in_interval(N, D, iv), f'{show_cos(N, D)} in [{show(iv[0])}, {show(iv[1])}]')
def check_gram(rep, cert, stated):
    """gram g00, g01, g11 verified, g00 > 0, g11 > 0; returns (N, D) with cos_01 = N / sqrt(D)."""
    G = {'g00': gram(cert, 0, 0), 'g01': gram(cert, 0, 1), 'g11': gram(cert, 1, 1)}
    for k in ('g00', 'g01', 'g11'): rep.verified(f'gram.{k}', stated[k], G[k])
    for k in ('g00', 'g11'): rep.check(f'gram.{k} > 0', G[k] > 0, show(G[k]))
    return G['g01'], G['g00'] * G['g11']
def check_eigenvalues(rep, cert, prefix, lmin, lmax):
    A, how = patch_gram(cert), f'by inertia of the patch Gram (order {cert.C * cert.kh * cert.kw})'
    rep.check(f'{prefix}lambda_min', lambda_min_in(A, *lmin), f'in [{show(lmin[0])}, {show(lmin[1])}] {how}')
    rep.check(f'{prefix}lambda_max', lambda_max_in(A, *lmax), f'in [{show(lmax[0])}, {show(lmax[1])}] {how}')
def check_similar_feature_maps(rep, cert, cl):
    """kernel_dot, gram, feature_cosine, feature_cosine_at_least: shared by the first two claim kinds."""
    rep.verified_sign('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1), False)
    (N, D), t = check_gram(rep, cert, cl['gram']), cl['feature_cosine_at_least']
    check_cos_interval(rep, 'feature_cosine', N, D, cl['feature_cosine'])
    rep.check('feature_cosine_at_least', D > 0 and abs_at_least(N, D, t), f'|cos_01| {show_cos(N, D)} >= {show(t)}')


# ------------------------------------------------------------------------ *The claim kinds*
def verify_orthogonal_kernels(cert, cl, rep):
    check_similar_feature_maps(rep, cert, cl)
    if 'wielandt' in cl:
        wl = cl['wielandt']
        check_eigenvalues(rep, cert, 'wielandt.', wl['lambda_min'], wl['lambda_max'])
        enc, (lo, hi) = wielandt_enclosure(wl['lambda_min'], wl['lambda_max']), wl['bound']
        rep.check('wielandt.bound', enc is not None and lo <= enc[0] and enc[1] <= hi,
                  'no enclosure (a denominator <= 0)' if enc is None else
                  f'the enclosure [{show(enc[0])}, {show(enc[1])}] lies in [{show(lo)}, {show(hi)}]')
def verify_zero_paper_cs(cert, cl, rep):
    check_similar_feature_maps(rep, cert, cl)
    rep.verified_sign('paper_cs', cl['paper_cs'], paper_cs(cert), False)
    rep.verified_sign('symmetric_cs', cl['symmetric_cs'], symmetric_cs(cert, 0, 1), True)
def verify_orthogonal_feature_maps(cert, cl, rep):
    check_padding(rep, cert, ('full', 'circular'))
    rep.verified('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1))
    rep.verified_sign('paper_cs', cl['paper_cs'], paper_cs(cert), True)
    rep.verified_sign('symmetric_cs', cl['symmetric_cs'], symmetric_cs(cert, 0, 1), False)
    rep.verified_sign('feature_inner_product', cl['feature_inner_product'], gram(cert, 0, 1), False)
def verify_paper_41(cert, cl, rep):
    check_padding(rep, cert, ('valid',))
    steps, lr, L = cl['protocol']['steps'], cl['protocol']['learning_rate'], cert.kw
    a, b, a2, b2 = (cert.kvals[i * L:(i + 1) * L] for i in range(4))
    ra, rb = replay_protocol(a, b, lr, steps)
    bad = sum(not x == y for x, y in zip(ra + rb, a2 + b2))            # entry by entry, as binary64
    rep.check('protocol', bad == 0, f'{steps} steps at learning rate {lr!r} from kernels 0, 1 give kernels 2, 3'
              + (f' except {bad} of {2 * L} entries' if bad else ' exactly'))
    for i in range(4):
        rep.check(f'kernel {i} non-zero', kernel_dot(cert, i, i) > 0, f'<K,K> = {show(kernel_dot(cert, i, i))}')
        rep.check(f'feature map {i} non-zero', gram(cert, i, i) > 0, f'G_{i}{i} = {show(gram(cert, i, i))}')
    kc = [(kernel_dot(cert, i, j), kernel_dot(cert, i, i) * kernel_dot(cert, j, j)) for i, j in ((0, 1), (2, 3))]
    fc = [(gram(cert, i, j), gram(cert, i, i) * gram(cert, j, j)) for i, j in ((0, 1), (2, 3))]
    for name, (N, D) in zip(('kernel_cosine_before', 'kernel_cosine_after', 'feature_cosine_before',
                             'feature_cosine_after'), kc + fc):
        check_cos_interval(rep, name, N, D, cl[name])
    t, u = cl['kernel_cosine_after_at_most'], cl['feature_cosine_after_at_least']
    rep.check('kernel_cosine_after_at_most', kc[1][1] > 0 and abs_at_most(*kc[1], t),
              f'|kernel cosine of (2,3)| {show_cos(*kc[1])} <= {show(t)}')
    rep.check('feature_cosine_after_at_least', u is None or (fc[1][1] > 0 and abs_at_least(*fc[1], u)),
              'null (no claim)' if u is None else f'|cos_23| {show_cos(*fc[1])} >= {show(u)}')
    defined = fc[0][1] > 0 and fc[1][1] > 0
    rose = defined and fc[1][0] ** 2 * fc[0][1] > fc[0][0] ** 2 * fc[1][1]          # |cos_23| > |cos_01|
    rep.check('feature_similarity_rose', defined and cl['feature_similarity_rose'] == rose,
              f'stated {cl["feature_similarity_rose"]}, |cos_23| > |cos_01| is {rose if defined else "undefined"}')
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
def check_hypothesis(cert, cl, rep):
    met = hypothesis_met(cl['theorem'], cert)
    rep.check('hypothesis_met', cl['hypothesis_met'] == met, f'stated {cl["hypothesis_met"]}, the hypotheses hold: {met}')
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
    for i in range(cert.M): rep.check(f'kernel {i} non-zero', any(v != 0 for v in vec(cert, i)), '')
    pairs = [(i, j) for i in range(cert.M) for j in range(i + 1, cert.M)]
    for (i, j), stated in zip(pairs, cl['pair_symmetric_cs']):
        rep.verified_sign(f'pair_symmetric_cs ({i},{j})', stated, symmetric_cs(cert, i, j), False)
def theorem_T4(cert, cl, rep):
    rep.verified_sign('kernel_dot', cl['kernel_dot'], kernel_dot(cert, 0, 1), False)
    N, D = check_gram(rep, cert, cl['gram'])
    check_eigenvalues(rep, cert, '', cl['lambda_min'], cl['lambda_max'])
    a1, b_max = max(cl['lambda_min'][0], 0), cl['lambda_max'][1]
    if b_max + a1 <= 0 or D <= 0: return rep.check('cos_01^2 > w_hi^2', False, "undefined (b_max + a' <= 0, G_ii = 0)")
    w_hi = (b_max - a1) / (b_max + a1)
    rep.check('cos_01^2 > w_hi^2', N * N > w_hi * w_hi * D, f'|cos_01| {show_cos(N, D)}, w_hi {show(w_hi)}')
def theorem_T5(cert, cl, rep):
    rep.verified('lhs (G_01)', cl['lhs'], gram(cert, 0, 1))
    C, lags, (lo, hi) = range(cert.C), lag_window(cert), cl['bound']
    rs = [sum(S(cert, 0, 1, c, c2, d) ** 2 for d in lags) * sum(R_P(cert, c, c2, d) ** 2 for d in lags)
          for c in C for c2 in C]
    rep.check('bound', sqrt_sum_in(rs, lo, hi), f'the sum of {len(rs)} square roots lies in [{show(lo)}, {show(hi)}]')
    rep.check('|lhs| > bound.upper', abs(cl['lhs']) > hi, f'|{show(cl["lhs"])}| vs {show(hi)}')
THEOREMS = {'T1': theorem_T1, 'T1b': theorem_T1b, 'T2': theorem_T2, 'T6': theorem_T6, 'T3': theorem_T3,
            'T4': theorem_T4, 'T5': theorem_T5}
VERIFIERS = {'orthogonal-kernels-similar-feature-maps': verify_orthogonal_kernels,     # claim kind -> verifier
             'zero-paper-cs-similar-feature-maps': verify_zero_paper_cs,
             'orthogonal-feature-maps-for-every-input': verify_orthogonal_feature_maps,
             'orthogonalized-kernels-feature-similarity': verify_paper_41,
             'theorem-counterexample': lambda cert, cl, rep: (check_hypothesis(cert, cl, rep),
                                                              THEOREMS[cl['theorem']](cert, cl, rep))}


# ------------------------------------------------------------------------------------ main
def check_file(path, max_work, quiet, codes=False):
    try:                                           # well formed (else 2), then within the limits (else 3)
        kind, cert, claimed, prov = load_certificate(path)
        for name, vals in (('data.kernels', cert.kvals), ('data.input', cert.xvals)):
            if len(vals) > MAX_VALUES: raise Refused(f'{name}: more than 10^7 values per tensor (no flag lifts it)')
        if work(kind, cert, claimed) > max_work:
            raise Refused(f'the work W = {work(kind, cert, claimed)} exceeds {max_work}; raise it with --max-work N')
    except Exception as e:                         # Malformed, OSError, RecursionError, MemoryError, ...
        detail = str(e) if isinstance(e, (Malformed, Refused)) else f'{type(e).__name__}: {e}'
        print(f'{"refused" if isinstance(e, Refused) else "malformed"}: {detail}')
        return 3 if isinstance(e, Refused) else 2
    print(f'claim: {kind} {claimed.get("theorem", "")}'.rstrip())
    rep = Report(quiet)
    try:
        cert.build()
        VERIFIERS[kind](cert, claimed, rep)
    except Exception as e:                         # never a traceback, never a false "claim holds"
        print(f'error: the check stopped: {type(e).__name__}: {e}')
        return 2
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
