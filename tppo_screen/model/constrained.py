"""Logistic regression whose evidence cannot point the wrong way.

Every red flag of the catalogue is a documented warning sign and every legitimacy cue a sign of
accountability, so a fitted model must never let a red flag lower a score or a cue raise it (an
unconstrained fit does: a flag that often co-occurs with stronger words can end up with a small
negative weight, and `check` would then tell a room that a red flag makes an ad safer).
`SignedLogisticRegression` fits the same objective as scikit-learn's `LogisticRegression` with
an l2 penalty (½‖w‖² + C · Σ weightᵢ · log-lossᵢ, intercept not penalised, `class_weight` as in
scikit-learn: "balanced" evens out each class's total sample weight) by L-BFGS-B with bounds:
the coefficients named in `signs` are held ≥ 0 (+1) or ≤ 0 (−1); a bound that binds leaves
that coefficient at exactly 0. Without signs it finds scikit-learn's solution (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight

from tppo_screen.errors import DataError


class SignedLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary l2 logistic regression; `signs` holds one of +1 / −1 / 0 (free) for each of the
    LAST len(signs) feature columns (the catalogue block comes last in the model's features)."""

    def __init__(
        self,
        signs: Sequence[int] = (),
        C: float = 1.0,
        class_weight: str | dict[Any, float] | None = None,
        max_iter: int = 5000,
        tol: float = 1e-6,
    ) -> None:
        self.signs = signs
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SignedLogisticRegression:
        X = sparse.csr_matrix(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise DataError(f"needs exactly two labels to learn from; found {len(self.classes_)}")
        target = (y == self.classes_[1]).astype(np.float64)
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if self.class_weight is not None:  # "balanced": each class's total sample weight equal
            per_class = compute_class_weight(
                self.class_weight, classes=self.classes_, y=y, sample_weight=weight
            )
            weight = weight * per_class[target.astype(int)]
        n_features = X.shape[1]
        signs = np.asarray(self.signs, dtype=int)
        if len(signs) > n_features:
            raise DataError(f"{len(signs)} signed columns but only {n_features} features")
        bounds = [(None, None)] * (n_features - len(signs)) + [
            (0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in signs
        ]
        bounds.append((None, None))  # the intercept
        C, XT = self.C, X.T.tocsr()

        def loss_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = params[:-1], params[-1]
            z = X @ w + b
            # log-loss of each row: −log σ(z) for positives, −log σ(−z) for negatives
            losses = -np.where(target == 1, log_expit(z), log_expit(-z))
            residual = C * weight * (expit(z) - target)
            gradient = np.empty_like(params)
            gradient[:-1] = XT @ residual + w
            gradient[-1] = residual.sum()
            return 0.5 * float(w @ w) + C * float(weight @ losses), gradient

        result = minimize(
            loss_and_gradient,
            np.zeros(n_features + 1),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-12, "maxcor": 20},
        )
        self.coef_ = result.x[None, :-1].copy()
        self.intercept_ = result.x[-1:].copy()
        self.n_features_in_ = n_features
        self.n_iter_ = np.asarray([result.nit])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(X @ self.coef_[0] + self.intercept_[0]).ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
