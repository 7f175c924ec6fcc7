//! One structured error type for the engine; `rust/py/errors.rs` maps each variant to one Python class.
use std::fmt;

/// Errors returned by lamina-core. Each variant names the op that failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    // ---- Shape ----
    /// Shapes are incompatible (broadcasting, matmul, concatenation, reshape...).
    Shape {
        /// The op that failed.
        op: String,
        /// What was wrong, echoing the shapes received.
        msg: String,
    },
    /// An axis is outside `[-ndim, ndim)`.
    Axis {
        /// The op that failed.
        op: String,
        /// The axis received.
        axis: i64,
        /// The rank of the tensor.
        ndim: usize,
    },
    // ---- DType ----
    /// A dtype is not supported by this op, or is unknown.
    DType {
        /// The op that failed.
        op: String,
        /// What was wrong, naming the dtype.
        msg: String,
    },
    // ---- Index ----
    /// An index is out of bounds.
    Index {
        /// The op that failed.
        op: String,
        /// What was wrong, echoing the index and the size.
        msg: String,
    },
    // ---- Value ----
    /// An argument has an invalid value.
    Value {
        /// The op that failed.
        op: String,
        /// What was wrong, echoing the value.
        msg: String,
    },
    // ---- Runtime ----
    /// An operation was used in a state that does not allow it (e.g. a spent gradient tape).
    Runtime(String),
    // ---- Internal ----
    /// A bug: a panic caught at the boundary, or an invariant that did not hold.
    Internal(String),
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A shape error for `op`.
    pub fn shape(op: &str, msg: impl Into<String>) -> Self {
        Error::Shape {
            op: op.to_string(),
            msg: msg.into(),
        }
    }
    /// A dtype error for `op`.
    pub fn dtype(op: &str, msg: impl Into<String>) -> Self {
        Error::DType {
            op: op.to_string(),
            msg: msg.into(),
        }
    }
    /// An index error for `op`.
    pub fn index(op: &str, msg: impl Into<String>) -> Self {
        Error::Index {
            op: op.to_string(),
            msg: msg.into(),
        }
    }
    /// A value error for `op`.
    pub fn value(op: &str, msg: impl Into<String>) -> Self {
        Error::Value {
            op: op.to_string(),
            msg: msg.into(),
        }
    }
    /// An axis error for `op`.
    pub fn axis(op: &str, axis: i64, ndim: usize) -> Self {
        Error::Axis {
            op: op.to_string(),
            axis,
            ndim,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { op, msg }
            | Error::DType { op, msg }
            | Error::Index { op, msg }
            | Error::Value { op, msg } => write!(f, "{op}: {msg}"),
            Error::Axis { op, axis, ndim } => write!(
                f,
                "{op}: axis {axis} is out of bounds for a tensor of rank {ndim} \
                 (expected an axis in [{}, {}]). Received: axis={axis}",
                -(*ndim as i64),
                *ndim as i64 - 1
            ),
            Error::Runtime(msg) => write!(f, "{msg}"),
            Error::Internal(msg) => write!(f, "internal error in lamina (please report): {msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// Formats a shape the way Python prints a tuple: `(2, 3)`, `(5,)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Normalises a possibly negative axis against `ndim`, or returns an [`Error::Axis`].
pub fn normalize_axis(op: &str, axis: i64, ndim: usize) -> Result<usize> {
    let n = ndim as i64;
    if axis < -n || axis >= n {
        return Err(Error::axis(op, axis, ndim));
    }
    Ok(if axis < 0 {
        (axis + n) as usize
    } else {
        axis as usize
    })
}

/// Normalises a list of axes; duplicates are an error. Returns them sorted.
pub fn normalize_axes(op: &str, axes: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let ax = normalize_axis(op, a, ndim)?;
        if out.contains(&ax) {
            return Err(Error::value(
                op,
                format!("repeated axis in {axes:?}. Received: axis={axes:?}"),
            ));
        }
        out.push(ax);
    }
    out.sort_unstable();
    Ok(out)
}
