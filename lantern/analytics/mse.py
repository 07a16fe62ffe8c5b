"""Multiple systems estimation (MSE): how many children are there, counting those no agency has found?

Given several agencies' lists of the children they identified in a period (after identity resolution),
the overlaps between the lists say how likely a child is to be missed by all of them. The method,
written from the published descriptions (the R packages that implement it are GPL and were not read):

- **Model.** Every observable capture history ω (each non-empty set of lists a child is on, including
  histories nobody has) has count N_ω ~ Poisson(μ_ω), log μ_ω = α₀ + Σ_{i∈ω} α_i + Σ_{S∈M, S⊆ω} α_S,
  M the interactions in the model (hierarchical: a term's sub-terms are in M too). The children on
  no list are the unobservable history ∅, with mean exp(α₀); the estimate of the total is the number
  observed plus exp(α̂₀). Its model-conditional interval is the log-scale normal interval
  observed + exp(α̂₀ ∓ z·se(α̂₀)) (Chan, Silverman & Vincent 2021).
- **Existence and identifiability** (Fienberg & Rinaldo 2012; Chan, Silverman & Vincent 2021 §2).
  An interaction whose lists never occur together has extended MLE −∞: the histories containing it
  have fitted mean 0 and are dropped with its column. On what remains the MLE exists if the linear
  programme max s subject to Aᵀx = Aᵀn, x ≥ s, 0 ≤ s ≤ 1 has optimum s > 0, and the parameters are
  identifiable if A has full column rank. Status 0 both hold, 1 no MLE, 2 not identifiable, 3 both.
- **Stepwise selection** (Chan, Silverman & Vincent 2021 §3.2): from main effects, add the two-list
  interaction (its lists overlapping, the model still status 0) whose overlap total is least likely
  under the current fit (one-sided Poisson p-value in the direction of the departure), while
  p ≤ 0.02.
- **BIC selection** (Silverman, Chan & Vincent 2024): BIC = −2 logL + k log(n), n the number observed,
  logL the full Poisson log-likelihood; over every admissible hierarchical model up to an order, or
  by a downhill search that adds or removes one term at a time.
- **An interval that allows for model choice** (Chan, Silverman & Vincent 2021 §3.3; Silverman, Chan &
  Vincent 2024): resample the observed children (multinomial), repeat the model selection in each
  resample, and take BCa limits with the acceleration from a leave-one-child-out jackknife.
- **Bayesian thresholding** (Silverman 2020 §6): N(0,1) priors on the interactions; keep those whose
  |posterior mean|/sd reaches a threshold; the posterior of the total under the kept model.

Assumptions, stated with every result: a closed population over the period (nobody joins or leaves),
at least three lists, every child correctly linked across lists, every child in the population has
a chance of being on each list, and any dependence between lists is captured by the interactions
in the chosen model (nothing can check this last one from the data).

The fits reported to a user are statsmodels GLMs; model searches and bootstrap replicates use a
small Newton solver for the same Poisson likelihood (the same MLE, checked against statsmodels in
the tests), because a statsmodels fit costs milliseconds and a bootstrap needs hundreds of thousands.
"""

from __future__ import annotations

import csv
import enum
import functools
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from scipy.optimize import linprog
from scipy.special import gammaln
from scipy.stats import multivariate_t, norm, poisson
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

__all__ = [
    "ASSUMPTIONS",
    "BayesianEstimate",
    "BootstrapInterval",
    "CaptureTable",
    "MSEError",
    "ModelCheck",
    "ModelFit",
    "PopulationEstimate",
    "Status",
    "StepwiseStep",
    "bayesian_threshold",
    "bic_table",
    "bootstrap_interval",
    "check_model",
    "estimate_population",
    "fit_model",
    "posterior_total",
    "select_bic",
    "stepwise",
]

ASSUMPTIONS: tuple[str, ...] = (
    "Closed population: nobody joins or leaves the population during the period the lists cover.",
    "At least three lists, each drawn from the same population.",
    "Children are correctly linked across lists (no missed or false matches).",
    "Every child in the population could have been on each list.",
    "Dependence between lists is captured by the interactions in the chosen model; "
    "no check on the data can confirm this.",
)

Term = int  # a set of lists as a bitmask (bit i = the i-th list)
Interactions = Iterable[str | Sequence[str]]


class MSEError(ValueError):
    """The data cannot give an estimate; the message says why ("cannot estimate because …")."""


class Status(enum.IntEnum):
    """Existence and identifiability of a model's (extended) MLE, in the packages' numbering."""

    OK = 0
    NOT_EXISTENT = 1
    NOT_IDENTIFIABLE = 2
    NEITHER = 3


# --------------------------------------------------------------------------------------------------
# The capture table
# --------------------------------------------------------------------------------------------------


def _bits(term: Term) -> list[int]:
    return [i for i in range(term.bit_length()) if term >> i & 1]


@dataclass(frozen=True)
class CaptureTable:
    """Counts of cases by capture history: ``counts[h - 1]`` is the number of cases on exactly the lists
    in bitmask ``h`` (bit i = ``lists[i]``), for every h in 1 … 2^k − 1; absent histories count 0."""

    lists: tuple[str, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        k = len(self.lists)
        if len(set(self.lists)) != k:
            raise ValueError("list names must be distinct")
        if len(self.counts) != 2**k - 1:
            raise ValueError(f"{k} lists need {2**k - 1} history counts, got {len(self.counts)}")
        if any(c < 0 or c != int(c) for c in self.counts):
            raise ValueError("counts must be whole numbers, not negative")

    @classmethod
    def from_histories(cls, lists: Sequence[str], rows: Iterable[tuple[Sequence[int], int]]) -> CaptureTable:
        """From (0/1 flags in `lists` order, count) rows; repeated histories add up."""
        k = len(lists)
        counts = [0] * (2**k - 1)
        for flags, count in rows:
            if len(flags) != k:
                raise ValueError(f"a history needs {k} flags, got {len(flags)}")
            h = sum(1 << i for i, f in enumerate(flags) if int(f))
            if h == 0:
                if count:
                    raise ValueError("the history on no list cannot be observed")
                continue
            counts[h - 1] += int(count)
        return cls(tuple(lists), tuple(counts))

    @classmethod
    def from_memberships(cls, memberships: Iterable[Iterable[str]], lists: Sequence[str]) -> CaptureTable:
        """From each case's set of lists (e.g. the agencies that identified one child)."""
        index = {name: i for i, name in enumerate(lists)}
        counts = [0] * (2 ** len(lists) - 1)
        for on in memberships:
            h = 0
            for name in on:
                if name not in index:
                    raise ValueError(f"unknown list {name!r}")
                h |= 1 << index[name]
            if h:
                counts[h - 1] += 1
        return cls(tuple(lists), tuple(counts))

    @classmethod
    def from_csv(cls, path: str | Path, count_column: str = "count") -> CaptureTable:
        """A CSV with one 0/1 column per list and a count column (the layout of the reference data)."""
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            names = [c for c in reader.fieldnames or () if c != count_column]
            rows = [([int(r[n]) for n in names], int(r[count_column])) for r in reader]
        return cls.from_histories(names, rows)

    @property
    def observed(self) -> int:
        return sum(self.counts)

    def overlap(self, names: Sequence[str]) -> int:
        """Cases on all of `names`, whatever other lists they are on."""
        term = _term_of(self.lists, names)
        return sum(c for h, c in enumerate(self.counts, 1) if h & term == term)

    def never_overlapping_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (self.lists[i], self.lists[j])
            for i, j in itertools.combinations(range(len(self.lists)), 2)
            if self.overlap((self.lists[i], self.lists[j])) == 0
        )


def _term_of(lists: Sequence[str], names: str | Sequence[str]) -> Term:
    if isinstance(names, str):
        names = names.split(":")
    term = 0
    for name in names:
        if name not in lists:
            raise ValueError(f"unknown list {name!r} (lists are {', '.join(lists)})")
        term |= 1 << lists.index(name)
    if term.bit_count() != len(names):
        raise ValueError(f"a list is repeated in {names!r}")
    return term


def _term_name(lists: Sequence[str], term: Term) -> str:
    return ":".join(lists[i] for i in _bits(term))


def _term_order(term: Term) -> tuple[int, list[int]]:
    return (term.bit_count(), _bits(term))


# --------------------------------------------------------------------------------------------------
# Per-table context: design matrix over every history and term, cached checks
# --------------------------------------------------------------------------------------------------


class _Context:
    """What every fit on one set of lists shares: histories, the full design and cached checks."""

    def __init__(self, lists: tuple[str, ...]) -> None:
        self.lists = lists
        self.k = len(lists)
        self.histories = np.arange(1, 2**self.k, dtype=np.int64)
        self.mains: tuple[Term, ...] = tuple(1 << i for i in range(self.k))
        self._prepared: dict[tuple[frozenset[Term], bytes], _Prepared] = {}

    def columns(self, model: frozenset[Term]) -> tuple[Term, ...]:
        """Design columns: intercept (0), main effects, then interactions by order and lists."""
        return (0, *self.mains, *sorted(model, key=_term_order))

    def design(self, cols: Sequence[Term], rows: np.ndarray) -> np.ndarray:
        h = self.histories[rows][:, None]
        c = np.asarray(cols, dtype=np.int64)[None, :]
        return ((h & c) == c).astype(float)

    def reduce(self, model: frozenset[Term], counts: np.ndarray) -> tuple[tuple[Term, ...], np.ndarray]:
        """Extended MLE: any term (main effect or interaction) whose histories all count 0 is −∞, so
        those histories are dropped, then every column that is zero on what remains."""
        cols = self.columns(model)
        keep = np.ones(len(counts), dtype=bool)
        for t in cols[1:]:
            on = (self.histories & t) == t
            if not counts[on].any():
                keep &= ~on
        rows = np.flatnonzero(keep)
        kept_cols = tuple(t for t in cols if t == 0 or ((self.histories[rows] & t) == t).any())
        return kept_cols, rows

    def prepare(self, model: frozenset[Term], counts: np.ndarray) -> _Prepared:
        """Status, kept columns and rows, and design of `model` on a table with this zero pattern
        (all three depend only on which histories are empty, so resamples share them)."""
        key = (model, np.packbits(counts == 0).tobytes())
        prepared = self._prepared.get(key)
        if prepared is None:
            cols, rows = self.reduce(model, counts)
            design = self.design(cols, rows)
            identifiable = np.linalg.matrix_rank(design) == design.shape[1]
            exists = _mle_exists(design, counts[rows])
            status = Status((0 if exists else 1) + (0 if identifiable else 2))
            prepared = _Prepared(status, cols, rows, design)
            if len(self._prepared) > 200_000:
                self._prepared.clear()
            self._prepared[key] = prepared
        return prepared

    def check(
        self, model: frozenset[Term], counts: np.ndarray
    ) -> tuple[Status, tuple[Term, ...], np.ndarray]:
        prepared = self.prepare(model, counts)
        return prepared.status, prepared.cols, prepared.rows


@dataclass(frozen=True)
class _Prepared:
    status: Status
    cols: tuple[Term, ...]
    rows: np.ndarray
    design: np.ndarray
    start: np.ndarray | None = None


def _mle_exists(design: np.ndarray, y: np.ndarray) -> bool:
    """Whether the MLE exists, by the dual of the Fienberg–Rinaldo programme (see
    :func:`_fienberg_rinaldo_lp`): it fails to exist exactly when some direction c in parameter space
    has Ac = 0 on every positive history and Ac ≤ 0, not all 0, on the empty ones (the likelihood
    then rises for ever along c). Such c lie in the null space of the positive rows, which is
    usually trivial, so a rank check settles most models and the rest need a programme in a few
    variables, not one per history."""
    pos = y > 0
    if pos.all():
        return True
    xp, xz = design[pos], design[~pos]
    if xp.shape[0]:
        _, sv, vt = np.linalg.svd(xp)
        rank = int((sv > 1e-9 * sv[0]).sum())
        basis = vt[rank:].T
    else:
        basis = np.eye(design.shape[1])
    if basis.shape[1] == 0:
        return True
    b = xz @ basis
    b[np.abs(b) < 1e-12] = 0.0
    if not b.any():
        return True
    # min Σ (Bu) subject to -1 ≤ Bu ≤ 0: 0 when no such direction exists, negative when one does
    res = linprog(
        b.sum(axis=0),
        A_ub=np.vstack([b, -b]),
        b_ub=np.concatenate([np.zeros(len(b)), np.ones(len(b))]),
        bounds=[(None, None)] * b.shape[1],
        method="highs",
    )
    return bool(res.status == 0 and res.fun > -1e-7)


def _fienberg_rinaldo_lp(design: np.ndarray, y: np.ndarray) -> bool:
    """The primal programme as Fienberg & Rinaldo state it: the MLE exists iff
    max s subject to Aᵀx = Aᵀy, x ≥ s, 0 ≤ s ≤ 1 has s > 0 (some strictly positive table has the
    data's sufficient statistics). One variable per history: kept as the reference the tests check
    :func:`_mle_exists` against."""
    m, p = design.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    res = linprog(
        c,
        A_ub=np.hstack([-np.eye(m), np.ones((m, 1))]),
        b_ub=np.zeros(m),
        A_eq=np.hstack([design.T, np.zeros((p, 1))]),
        b_eq=design.T @ y,
        bounds=[(0, None)] * m + [(0, 1)],
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-7)


@functools.lru_cache(maxsize=64)
def _context(lists: tuple[str, ...]) -> _Context:
    return _Context(lists)


# --------------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fast:
    beta: np.ndarray
    mu: np.ndarray  # fitted means over every history (0 where dropped)
    loglik: float
    n_params: int


def _newton(
    design: np.ndarray, y: np.ndarray, start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson log-linear MLE by iteratively reweighted least squares (as glm does), for models
    already known to be status 0; `start` (a nearby table's coefficients) saves iterations."""
    if start is None:
        mu = y + 0.1
        eta = np.log(mu)
    else:
        eta = design @ start
        mu = np.exp(eta)
    beta = np.zeros(design.shape[1])
    dev_old = math.inf
    for _ in range(100):
        z = eta + (y - mu) / mu
        xw = design * mu[:, None]
        beta = np.linalg.solve(design.T @ xw, xw.T @ z)
        eta = design @ beta
        mu = np.exp(eta)
        pos = y > 0
        dev = 2 * (np.sum(y[pos] * np.log(y[pos] / mu[pos])) - np.sum(y - mu))
        if abs(dev - dev_old) <= 1e-10 * (abs(dev) + 0.1):
            return beta, mu
        dev_old = dev
    raise MSEError("cannot estimate because the model fit did not converge")


def _loglik(y: np.ndarray, mu: np.ndarray) -> float:
    pos = y > 0
    return float(np.sum(y[pos] * np.log(mu[pos])) - mu.sum() - gammaln(y + 1).sum())


def _fast_fit(ctx: _Context, counts: np.ndarray, model: frozenset[Term]) -> _Fast:
    prepared = ctx.prepare(model, counts)
    beta, mu_rows = _newton(prepared.design, counts[prepared.rows].astype(float), prepared.start)
    if prepared.start is None:
        object.__setattr__(prepared, "start", beta)  # a cache slot, not part of the value
    mu = np.zeros(len(counts))
    mu[prepared.rows] = mu_rows
    return _Fast(beta, mu, _loglik(counts.astype(float), mu), len(prepared.cols))


def _bic(fit: _Fast, n: int) -> float:
    return -2 * fit.loglik + fit.n_params * math.log(n)


def _total(fit: _Fast, observed: int) -> float:
    return observed + math.exp(fit.beta[0])


@dataclass(frozen=True)
class ModelCheck:
    """Whether a model's (extended) MLE exists and is identifiable on a table."""

    interactions: tuple[str, ...]
    status: Status
    dropped_histories: tuple[str, ...]  # histories fixed at 0 (lists joined by '+')
    dropped_terms: tuple[str, ...]  # interactions at −∞

    @property
    def ok(self) -> bool:
        return self.status == Status.OK


@dataclass(frozen=True)
class ModelFit:
    """One log-linear model fitted by statsmodels GLM (Poisson, log link).

    ``estimate`` is the total population (observed + dark figure); ``ci`` the log-scale normal
    interval at ``level`` conditional on this model."""

    lists: tuple[str, ...]
    interactions: tuple[str, ...]
    label: str  # the packages' notation, e.g. "[12,3]"
    observed: int
    estimate: float
    dark_figure: float
    ci: tuple[float, float]
    level: float
    intercept: float
    intercept_se: float
    deviance: float
    df_resid: int
    loglik: float
    aic: float
    bic: float
    n_params: int
    check: ModelCheck


def _label(ctx: _Context, model: frozenset[Term]) -> str:
    """[12,3]: maximal interactions, then uncovered main effects, lists numbered from 1 in column
    order (the packages' notation: [23,1] is c:d with b's main effect)."""
    maximal = sorted((t for t in model if not any(t != u and t & u == t for u in model)), key=_bits)
    covered = 0
    for t in model:
        covered |= t
    parts = maximal + [m for m in ctx.mains if not m & covered]
    return "[" + ",".join("".join(str(i + 1) for i in _bits(t)) for t in parts) + "]"


def _parse_model(table: CaptureTable, interactions: Interactions) -> frozenset[Term]:
    terms: set[Term] = set()
    for spec in interactions:
        term = _term_of(table.lists, spec)
        if term.bit_count() < 2:
            raise ValueError(f"{spec!r} is a main effect; main effects are always in the model")
        terms.add(term)
    return frozenset(terms)


def _check_public(table: CaptureTable, model: frozenset[Term]) -> ModelCheck:
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    status, cols, rows = ctx.check(model, counts)
    dropped_rows = sorted(set(range(len(counts))) - set(rows.tolist()))
    return ModelCheck(
        interactions=tuple(_term_name(table.lists, t) for t in sorted(model, key=_term_order)),
        status=status,
        dropped_histories=tuple("+".join(table.lists[i] for i in _bits(r + 1)) for r in dropped_rows),
        dropped_terms=tuple(
            _term_name(table.lists, t) for t in ctx.columns(model)[1:] if t not in cols and t.bit_count() > 1
        ),
    )


def check_model(table: CaptureTable, interactions: Interactions = ()) -> ModelCheck:
    """Existence and identifiability of the model with these interactions (e.g. ``["b:c"]``)."""
    return _check_public(table, _closure(_parse_model(table, interactions)))


def _closure(model: frozenset[Term]) -> frozenset[Term]:
    """Add the sub-terms that make a model hierarchical."""
    out = set(model)
    for t in model:
        bits = _bits(t)
        for r in range(2, len(bits)):
            for sub in itertools.combinations(bits, r):
                out.add(sum(1 << i for i in sub))
    return frozenset(out)


def _report(table: CaptureTable, model: frozenset[Term], level: float = 0.95) -> ModelFit:
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    check = _check_public(table, model)
    if not check.ok:
        raise MSEError(
            f"cannot estimate because the model {_label(ctx, model)} {_status_reason(check.status)}"
        )
    cols, rows = ctx.reduce(model, counts)
    design = ctx.design(cols, rows)
    y = counts[rows].astype(float)
    with warnings.catch_warnings():
        if design.shape[0] == design.shape[1]:
            # a saturated model (no residual degrees of freedom): statsmodels divides by df_resid
            # for statistics we do not use
            warnings.filterwarnings("ignore", "divide by zero", RuntimeWarning)
            # … and calls a perfect fit "perfect separation"; existence was checked above
            warnings.filterwarnings("ignore", category=PerfectSeparationWarning)
        res = sm.GLM(y, design, family=sm.families.Poisson()).fit()
    a0, se0 = float(res.params[0]), float(res.bse[0])
    z = float(norm.ppf(0.5 + level / 2))
    n = table.observed
    mu = np.exp(design @ res.params)
    loglik = _loglik(y, mu)
    k = len(cols)
    return ModelFit(
        lists=table.lists,
        interactions=check.interactions,
        label=_label(ctx, model),
        observed=n,
        estimate=n + math.exp(a0),
        dark_figure=math.exp(a0),
        ci=(n + math.exp(a0 - z * se0), n + math.exp(a0 + z * se0)),
        level=level,
        intercept=a0,
        intercept_se=se0,
        deviance=float(res.deviance),
        df_resid=int(round(res.df_resid)),
        loglik=loglik,
        aic=-2 * loglik + 2 * k,
        bic=-2 * loglik + k * math.log(n),
        n_params=k,
        check=check,
    )


def _status_reason(status: Status) -> str:
    return {
        Status.NOT_EXISTENT: "has no maximum likelihood estimate on these data (too many empty overlaps)",
        Status.NOT_IDENTIFIABLE: "has more parameters than the overlaps can identify",
        Status.NEITHER: "has no maximum likelihood estimate and its parameters are not identifiable",
    }.get(status, "is fine")


def _validate(table: CaptureTable) -> None:
    if len(table.lists) < 3:
        raise MSEError(
            f"cannot estimate because there are {len(table.lists)} lists; multiple systems estimation "
            "here needs at least three (two lists cannot allow for any dependence between them)"
        )
    if table.observed == 0:
        raise MSEError("cannot estimate because no case is on any list")
    empty = [name for name in table.lists if table.overlap((name,)) == 0]
    if empty:
        raise MSEError(f"cannot estimate because list {', '.join(empty)} has nobody on it")
    if not any(c for h, c in enumerate(table.counts, 1) if h.bit_count() >= 2):
        raise MSEError(
            "cannot estimate because no case is on more than one list: without overlaps there is "
            "nothing to say how many are missed"
        )


def fit_model(table: CaptureTable, interactions: Interactions = (), level: float = 0.95) -> ModelFit:
    """Fit one model (main effects plus `interactions`, made hierarchical); raises MSEError if its
    MLE does not exist or is not identifiable."""
    _validate(table)
    return _report(table, _closure(_parse_model(table, interactions)), level)


# --------------------------------------------------------------------------------------------------
# Model selection
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepwiseStep:
    """One interaction added by stepwise selection, with the evidence for it."""

    interaction: str
    p_value: float
    observed_overlap: int
    expected_overlap: float  # under the model before it was added


def _stepwise(
    ctx: _Context, counts: np.ndarray, pthresh: float
) -> tuple[frozenset[Term], list[tuple[Term, float, int, float]]]:
    model: frozenset[Term] = frozenset()
    path: list[tuple[Term, float, int, float]] = []
    pairs = [(1 << i) | (1 << j) for i, j in itertools.combinations(range(ctx.k), 2)]
    while True:
        fit = _fast_fit(ctx, counts, model)
        best: tuple[Term, float, int, float] | None = None
        for pair in pairs:
            if pair in model:
                continue
            on = (ctx.histories & pair) == pair
            observed = int(counts[on].sum())
            if observed == 0:
                continue
            if ctx.check(model | {pair}, counts)[0] != Status.OK:
                continue
            expected = float(fit.mu[on].sum())
            p = min(float(poisson.sf(observed - 1, expected)), float(poisson.cdf(observed, expected)))
            if best is None or p < best[1]:
                best = (pair, p, observed, expected)
        if best is None or best[1] > pthresh:
            return model, path
        model = model | {best[0]}
        path.append(best)


def stepwise(
    table: CaptureTable, pthreshold: float = 0.02, level: float = 0.95
) -> tuple[ModelFit, tuple[StepwiseStep, ...]]:
    """Chan–Silverman–Vincent forward stepwise selection of two-list interactions (p ≤ `pthreshold`);
    the fitted model and the interactions in order of entry."""
    _validate(table)
    ctx = _context(table.lists)
    model, path = _stepwise(ctx, np.asarray(table.counts, dtype=np.int64), pthreshold)
    steps = tuple(StepwiseStep(_term_name(table.lists, t), p, o, e) for t, p, o, e in path)
    return _report(table, model, level), steps


def _candidate_terms(ctx: _Context, counts: np.ndarray, maxorder: int) -> list[Term]:
    """Interactions of order 2 … maxorder whose lists occur together at least once."""
    out = []
    for r in range(2, min(maxorder, ctx.k) + 1):
        for combo in itertools.combinations(range(ctx.k), r):
            t = sum(1 << i for i in combo)
            if counts[(ctx.histories & t) == t].any():
                out.append(t)
    return out


def _subterms(t: Term) -> list[Term]:
    """The immediate sub-terms (one list fewer) of order 2 and up."""
    return [t & ~(1 << i) for i in _bits(t)] if t.bit_count() > 2 else []


def _hierarchical_models(terms: list[Term]) -> list[frozenset[Term]]:
    terms = sorted(terms, key=_term_order)
    models: list[frozenset[Term]] = []

    def walk(i: int, chosen: frozenset[Term]) -> None:
        if i == len(terms):
            models.append(chosen)
            return
        walk(i + 1, chosen)
        t = terms[i]
        if all(s in chosen for s in _subterms(t)):
            walk(i + 1, chosen | {t})

    walk(0, frozenset())
    return models


def _bic_rank(
    ctx: _Context, counts: np.ndarray, models: Iterable[frozenset[Term]]
) -> list[tuple[float, frozenset[Term], float]]:
    n = int(counts.sum())
    out = []
    for m in models:
        if ctx.check(m, counts)[0] != Status.OK:
            continue
        fit = _fast_fit(ctx, counts, m)
        out.append((_bic(fit, n), m, _total(fit, n)))
    out.sort(key=lambda r: (r[0], len(r[1]), sorted(r[1])))
    return out


def _downhill(ctx: _Context, counts: np.ndarray, maxorder: int) -> frozenset[Term]:
    """Greedy BIC descent over hierarchical models: from main effects, move to the best neighbour
    (one admissible term added or one removed, staying hierarchical) while BIC falls."""
    n = int(counts.sum())
    terms = _candidate_terms(ctx, counts, maxorder)
    seen: dict[frozenset[Term], float] = {}

    def score(m: frozenset[Term]) -> float:
        if m not in seen:
            ok = ctx.check(m, counts)[0] == Status.OK
            seen[m] = _bic(_fast_fit(ctx, counts, m), n) if ok else math.inf
        return seen[m]

    current: frozenset[Term] = frozenset()
    best = score(current)
    while True:
        neighbours = [
            current | {t} for t in terms if t not in current and all(s in current for s in _subterms(t))
        ]
        neighbours += [current - {t} for t in current if not any(u != t and u & t == t for u in current)]
        scored = sorted(((score(m), sorted(m)) for m in neighbours), key=lambda r: r[0])
        if not scored or scored[0][0] >= best:
            return current
        best = scored[0][0]
        current = frozenset(scored[0][1])


def bic_table(table: CaptureTable, maxorder: int = 2) -> tuple[tuple[ModelFit, ...], int]:
    """Every admissible (status 0) hierarchical model up to `maxorder`, best BIC first, and how many
    candidate models failed the existence or identifiability check."""
    _validate(table)
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    models = _hierarchical_models(_candidate_terms(ctx, counts, maxorder))
    ranked = _bic_rank(ctx, counts, models)
    return tuple(_report(table, m) for _, m, _ in ranked), len(models) - len(ranked)


def select_bic(
    table: CaptureTable, maxorder: int = 2, search: str = "exhaustive", level: float = 0.95
) -> ModelFit:
    """The minimum-BIC hierarchical model up to `maxorder`: over all admissible models
    (``search="exhaustive"``) or by a downhill search (``"downhill"``)."""
    _validate(table)
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    if search == "exhaustive":
        ranked = _bic_rank(ctx, counts, _hierarchical_models(_candidate_terms(ctx, counts, maxorder)))
        if not ranked:
            raise MSEError("cannot estimate because no model passes the existence check")
        model = ranked[0][1]
    elif search == "downhill":
        model = _downhill(ctx, counts, maxorder)
    else:
        raise ValueError("search must be 'exhaustive' or 'downhill'")
    return _report(table, model, level)


# --------------------------------------------------------------------------------------------------
# The bootstrap over model selection
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapInterval:
    """BCa bootstrap distribution of the total, with the model selection repeated in every resample
    (multinomial resampling of the observed cases) and a leave-one-case-out jackknife for the
    acceleration. ``interval(level)`` gives the BCa limits."""

    estimate: float
    selection: str
    replicates: tuple[float, ...] = field(repr=False)
    n_failed: int  # resamples in which no model could be fitted (left out)
    seed: int
    bias_correction: float  # z0
    acceleration: float  # a

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        reps = np.sort(np.asarray(self.replicates))
        out = []
        for alpha in ((1 - level) / 2, (1 + level) / 2):
            z = norm.ppf(alpha)
            adj = norm.cdf(
                self.bias_correction
                + (self.bias_correction + z) / (1 - self.acceleration * (self.bias_correction + z))
            )
            out.append(float(np.quantile(reps, adj)))
        return out[0], out[1]


Selector = Callable[[_Context, np.ndarray], float]


def _selector(
    table: CaptureTable, selection: str, pthreshold: float, maxorder: int, ntop: int | None
) -> tuple[Selector, str]:
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    if selection == "stepwise":

        def run(c: _Context, y: np.ndarray) -> float:
            model, _ = _stepwise(c, y, pthreshold)
            return _total(_fast_fit(c, y, model), int(y.sum()))

        return run, f"stepwise, p ≤ {pthreshold}"
    if selection == "downhill":

        def run_down(c: _Context, y: np.ndarray) -> float:
            return _total(_fast_fit(c, y, _downhill(c, y, maxorder)), int(y.sum()))

        return run_down, f"downhill BIC search, maxorder {maxorder}"
    if selection == "bic":
        ranked = _bic_rank(ctx, counts, _hierarchical_models(_candidate_terms(ctx, counts, maxorder)))
        top = None if ntop is None else [m for _, m, _ in ranked[:ntop]]

        def run_bic(c: _Context, y: np.ndarray) -> float:
            models = top if top is not None else _hierarchical_models(_candidate_terms(c, y, maxorder))
            best = _bic_rank(c, y, models)
            if not best:
                best = _bic_rank(c, y, [frozenset()])
            if not best:
                raise MSEError("no admissible model")
            return best[0][2]

        where = "all admissible models" if ntop is None else f"the {ntop} best on the original data"
        return run_bic, f"minimum BIC over {where}, maxorder {maxorder}"
    raise ValueError("selection must be 'stepwise', 'bic' or 'downhill'")


def bootstrap_interval(
    table: CaptureTable,
    selection: str = "stepwise",
    *,
    n_boot: int = 1000,
    seed: int = 1234,
    pthreshold: float = 0.02,
    maxorder: int = 2,
    ntop: int | None = None,
) -> BootstrapInterval:
    """The BCa bootstrap that allows for model choice: `selection` is ``"stepwise"``, ``"bic"`` (the
    exhaustive minimum BIC, among the `ntop` best models on the original data if given) or
    ``"downhill"``. Seeded: the same arguments give the same interval."""
    _validate(table)
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    run, label = _selector(table, selection, pthreshold, maxorder, ntop)
    estimate = run(ctx, counts)
    n = int(counts.sum())
    rng = np.random.default_rng(seed)
    p = counts / n
    reps: list[float] = []
    failed = 0
    for _ in range(n_boot):
        y = rng.multinomial(n, p)
        try:
            reps.append(run(ctx, y))
        except (MSEError, np.linalg.LinAlgError):
            failed += 1
    if len(reps) < n_boot / 2:
        raise MSEError("cannot estimate an interval because most bootstrap resamples could not be fitted")
    below = sum(r < estimate for r in reps) + 0.5 * sum(r == estimate for r in reps)
    z0 = float(norm.ppf(min(max(below / len(reps), 1e-6), 1 - 1e-6)))
    # jackknife: leave out one case from each non-empty history, weighted by its count
    jack, weights = [], []
    for i in np.flatnonzero(counts):
        y = counts.copy()
        y[i] -= 1
        try:
            jack.append(run(ctx, y))
            weights.append(int(counts[i]))
        except (MSEError, np.linalg.LinAlgError):
            continue
    w = np.asarray(weights, dtype=float)
    j = np.asarray(jack)
    mean = float(np.sum(w * j) / w.sum())
    d = mean - j
    denom = 6 * float(np.sum(w * d**2)) ** 1.5
    a = float(np.sum(w * d**3) / denom) if denom > 0 else 0.0
    return BootstrapInterval(
        estimate=estimate,
        selection=label,
        replicates=tuple(reps),
        n_failed=failed,
        seed=seed,
        bias_correction=z0,
        acceleration=a,
    )


# --------------------------------------------------------------------------------------------------
# Bayesian thresholding (Silverman 2020 §6)
# --------------------------------------------------------------------------------------------------

QUANTILES: tuple[float, ...] = (0.025, 0.1, 0.5, 0.9, 0.975)


@dataclass(frozen=True)
class BayesianEstimate:
    """Posterior of the total population for the thresholded model: flat priors on the intercept and
    main effects, N(0, prior_sd²) on every interaction. ``statistics`` holds |posterior mean| /
    posterior sd of each candidate interaction, the quantity thresholded."""

    interactions: tuple[str, ...]
    statistics: tuple[tuple[str, float], ...]
    quantiles: tuple[tuple[float, float], ...]  # (probability, total)
    threshold: float
    prior_sd: float
    n_draws: int
    seed: int
    acceptance: float

    @property
    def median(self) -> float:
        return dict(self.quantiles)[0.5]


def _posterior_draws(
    ctx: _Context, counts: np.ndarray, model: frozenset[Term], prior_sd: float, n_draws: int, seed: int
) -> tuple[tuple[Term, ...], np.ndarray, float]:
    """Independence Metropolis–Hastings from a multivariate t (6 df) centred on the posterior mode
    with the Laplace covariance: the log-linear posterior is close to normal, so the chain mixes
    almost like independent draws."""
    cols, rows = ctx.reduce(model, counts)
    x = ctx.design(cols, rows)
    y = counts[rows].astype(float)
    precision = np.array([0.0 if c == 0 or c.bit_count() == 1 else prior_sd**-2 for c in cols])
    beta = np.zeros(len(cols))
    beta[0] = math.log(max(y.mean(), 0.5))
    for _ in range(200):
        mu = np.exp(x @ beta)
        hessian = x.T @ (x * mu[:, None]) + np.diag(precision)
        step = np.linalg.solve(hessian, x.T @ (y - mu) - precision * beta)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    else:
        raise MSEError("cannot estimate because the posterior mode was not found")
    rng = np.random.default_rng(seed)
    proposal = multivariate_t(loc=beta, shape=np.linalg.inv(hessian), df=6, seed=rng)
    z = proposal.rvs(n_draws).reshape(n_draws, len(cols))
    eta = z @ x.T
    log_target = (eta * y).sum(axis=1) - np.exp(eta).sum(axis=1) - 0.5 * (z**2 * precision).sum(axis=1)
    log_weight = log_target - proposal.logpdf(z)
    log_u = np.log(rng.random(n_draws))
    out = np.empty_like(z)
    current, current_w, accepted = z[0], log_weight[0], 0
    for i in range(n_draws):
        if log_u[i] < log_weight[i] - current_w:
            current, current_w = z[i], log_weight[i]
            accepted += 1
        out[i] = current
    return cols, out, accepted / n_draws


def posterior_total(
    table: CaptureTable,
    interactions: Interactions = (),
    *,
    prior_sd: float = 1.0,
    n_draws: int = 20_000,
    seed: int = 1234,
) -> tuple[tuple[tuple[float, float], ...], float]:
    """Posterior quantiles (QUANTILES) of the total for one model, and the sampler's acceptance rate."""
    _validate(table)
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    model = _closure(_parse_model(table, interactions))
    if ctx.check(model, counts)[0] != Status.OK:
        raise MSEError(f"cannot estimate because the model {_label(ctx, model)} fails the existence check")
    _, draws, acceptance = _posterior_draws(ctx, counts, model, prior_sd, n_draws, seed)
    totals = table.observed + np.exp(draws[:, 0])
    return tuple((q, float(np.quantile(totals, q))) for q in QUANTILES), acceptance


def bayesian_threshold(
    table: CaptureTable,
    threshold: float = 2.0,
    maxorder: int = 2,
    *,
    prior_sd: float = 1.0,
    n_draws: int = 20_000,
    seed: int = 1234,
) -> BayesianEstimate:
    """Silverman (2020) §6: fit every two-list interaction whose lists overlap, keep those whose
    |posterior mean| / posterior sd reaches `threshold`; with ``maxorder=3``, then add the three-list
    interactions whose pairs were all kept and threshold those the same way; report the posterior of
    the total under the kept model. Our staging of the three-list step is a reading of the method
    description. Monte Carlo: seeded, and a statistic near the threshold can fall either side."""
    _validate(table)
    if maxorder not in (2, 3):
        raise ValueError("maxorder must be 2 or 3")
    ctx = _context(table.lists)
    counts = np.asarray(table.counts, dtype=np.int64)
    statistics: list[tuple[str, float]] = []

    def stage(base: frozenset[Term], candidates: list[Term]) -> frozenset[Term]:
        model = base | frozenset(candidates)
        if ctx.check(model, counts)[0] != Status.OK:
            raise MSEError(
                f"cannot estimate because the model {_label(ctx, model)} fails the existence check"
            )
        cols, draws, _ = _posterior_draws(ctx, counts, model, prior_sd, n_draws, seed)
        kept = set(base)
        for t in candidates:
            column = draws[:, cols.index(t)]
            stat = float(abs(column.mean()) / column.std())
            statistics.append((_term_name(table.lists, t), stat))
            if stat >= threshold:
                kept.add(t)
        return frozenset(kept)

    model = stage(frozenset(), [t for t in _candidate_terms(ctx, counts, 2)])
    if maxorder == 3:
        triples = [
            t
            for t in _candidate_terms(ctx, counts, 3)
            if t.bit_count() == 3 and all(s in model for s in _subterms(t))
        ]
        if triples and ctx.check(model | frozenset(triples), counts)[0] == Status.OK:
            model = stage(model, triples)
    cols, draws, acceptance = _posterior_draws(ctx, counts, model, prior_sd, n_draws, seed)
    totals = table.observed + np.exp(draws[:, 0])
    return BayesianEstimate(
        interactions=tuple(_term_name(table.lists, t) for t in sorted(model, key=_term_order)),
        statistics=tuple(statistics),
        quantiles=tuple((q, float(np.quantile(totals, q))) for q in QUANTILES),
        threshold=threshold,
        prior_sd=prior_sd,
        n_draws=n_draws,
        seed=seed,
        acceptance=acceptance,
    )


# --------------------------------------------------------------------------------------------------
# The facade
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationEstimate:
    """An estimate of the total population, the model it came from and both intervals."""

    lists: tuple[str, ...]
    observed: int
    method: str
    model: ModelFit
    steps: tuple[StepwiseStep, ...]  # stepwise only
    model_choice: BootstrapInterval | None
    level: float
    assumptions: tuple[str, ...] = ASSUMPTIONS
    notes: tuple[str, ...] = ()

    @property
    def estimate(self) -> float:
        return self.model.estimate

    @property
    def dark_figure(self) -> float:
        return self.model.dark_figure

    @property
    def ci(self) -> tuple[float, float]:
        """Conditional on the chosen model (log-scale normal)."""
        return self.model.ci

    @property
    def model_choice_ci(self) -> tuple[float, float] | None:
        """Allowing for the model choice (BCa bootstrap with the selection repeated)."""
        return None if self.model_choice is None else self.model_choice.interval(self.level)


def estimate_population(
    table: CaptureTable,
    method: str = "stepwise",
    *,
    level: float = 0.95,
    pthreshold: float = 0.02,
    maxorder: int = 2,
    n_boot: int = 1000,
    seed: int = 1234,
) -> PopulationEstimate:
    """Estimate the total population from the overlaps of three or more lists.

    `method` is ``"stepwise"`` (the default, Chan–Silverman–Vincent 2021), ``"bic"`` (exhaustive
    minimum BIC) or ``"downhill"`` (BIC downhill search). With ``n_boot > 0`` the result also carries
    the BCa bootstrap interval with the selection repeated in each resample. Raises MSEError
    ("cannot estimate because …") for fewer than three lists, an empty list, no overlaps, or no
    model whose estimate exists."""
    _validate(table)
    steps: tuple[StepwiseStep, ...] = ()
    if method == "stepwise":
        fit, steps = stepwise(table, pthreshold, level)
        label = f"stepwise two-list interactions, p ≤ {pthreshold}"
    elif method in ("bic", "downhill"):
        fit = select_bic(table, maxorder, "exhaustive" if method == "bic" else "downhill", level)
        label = f"minimum BIC ({'all models' if method == 'bic' else 'downhill search'}), maxorder {maxorder}"
    else:
        raise ValueError("method must be 'stepwise', 'bic' or 'downhill'")
    boot = None
    if n_boot > 0:
        boot = bootstrap_interval(
            table,
            "stepwise" if method == "stepwise" else method,
            n_boot=n_boot,
            seed=seed,
            pthreshold=pthreshold,
            maxorder=maxorder,
        )
    notes = []
    never = table.never_overlapping_pairs()
    if never:
        pairs = ", ".join(f"{a}:{b}" for a, b in never)
        notes.append(
            f"{len(never)} of {math.comb(len(table.lists), 2)} pairs of lists never overlap ({pairs}); "
            "no interaction between them can be estimated"
        )
    return PopulationEstimate(
        lists=table.lists,
        observed=table.observed,
        method=label,
        model=fit,
        steps=steps,
        model_choice=boot,
        level=level,
        notes=tuple(notes),
    )
