//! Reverse-mode automatic differentiation: tracked tensors, gradient tapes and the backward pass.
//!
//! Every tensor handed to Python carries an id ([`Tracked`]). A [`Tape`] that is active on the
//! current thread records each differentiable op whose inputs it tracks (watched sources, or
//! outputs of ops it recorded) as a [`Node`] in a `Vec` arena, in creation order, so the arena is
//! already topologically sorted. When no tape is active nothing is recorded: the only cost an op
//! pays is one thread-local read.
//!
//! [`Tape::gradient`] runs a reverse loop over the arena. Backward rules (in `backward.rs`) are
//! written with the differentiable ops of [`ops`], so when an outer tape is recording, the
//! backward computation is itself recorded and nested tapes give higher derivatives. Gradients
//! accumulate per tensor id; float16/bfloat16 gradients accumulate in float32 and are returned in
//! the source's dtype. A non-persistent tape drops each node (and the tensors it saved) as soon
//! as its backward has run, and frees everything after `gradient()`.
mod backward;
pub mod ops;

pub(crate) use backward::Op;
pub use backward::ReduceKind;

use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::tensor::Tensor;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A tensor with an identity: the unit the tape records and differentiates.
#[derive(Clone, Debug)]
pub struct Tracked {
    /// The value.
    pub t: Tensor,
    /// A process-wide unique id (a variable's reads all share the variable's id).
    pub id: u64,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A new unique tensor id.
pub fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

impl Tracked {
    /// Wraps a tensor under a new id.
    pub fn new(t: Tensor) -> Self {
        Tracked { t, id: fresh_id() }
    }

    /// Wraps a tensor under a given id (a variable read).
    pub fn with_id(t: Tensor, id: u64) -> Self {
        Tracked { t, id }
    }
}

impl From<Tensor> for Tracked {
    fn from(t: Tensor) -> Self {
        Tracked::new(t)
    }
}

impl Deref for Tracked {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        &self.t
    }
}

/// Hashes the sequential ids with one multiply (Fibonacci hashing).
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;
type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// What the backward pass needs to know of an op's input or output.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub id: u64,
    pub dtype: DType,
    pub shape: Vec<usize>,
}

impl Meta {
    fn of(t: &Tracked) -> Meta {
        Meta {
            id: t.id,
            dtype: t.dtype(),
            shape: t.shape().to_vec(),
        }
    }
}

/// One recorded op.
pub(crate) struct Node {
    op: Op,
    inputs: Vec<Meta>,
    outputs: Vec<Meta>,
}

#[derive(Default)]
struct TapeState {
    nodes: Vec<Node>,
    tracked: IdSet,
    watched_vars: Vec<u64>,
    spent: bool,
}

/// A gradient tape (the engine half of `lamina.GradientTape`).
pub struct Tape {
    persistent: bool,
    watch_accessed: bool,
    recording: AtomicBool,
    state: Mutex<TapeState>,
}

thread_local! {
    static STACK: RefCell<Vec<Arc<Tape>>> = const { RefCell::new(Vec::new()) };
    static ACTIVE: Cell<usize> = const { Cell::new(0) };
    static AUTOCAST: Cell<Option<DType>> = const { Cell::new(None) };
}

/// Sets the dtype that float variables with `autocast` are read as on this thread (`None`: as
/// stored); returns the previous setting. Layers set it around `call` under a mixed policy.
pub fn set_autocast(dtype: Option<DType>) -> Option<DType> {
    AUTOCAST.with(|a| a.replace(dtype))
}

/// The current autocast dtype of this thread.
#[inline]
pub fn autocast() -> Option<DType> {
    AUTOCAST.with(|a| a.get())
}

/// True when a tape is active on this thread (the one check an op pays when none is).
#[inline]
pub fn any_active() -> bool {
    ACTIVE.with(|a| a.get() != 0)
}

/// Records an op on every active tape that tracks one of its float inputs, if any output is a
/// float. `make` builds the op (with what its backward saves) only when some tape needs it.
/// One pass over the active tapes, one lock each.
pub(crate) fn record(
    inputs: &[&Tracked],
    outputs: &[&Tracked],
    make: impl FnOnce() -> Result<Op>,
) -> Result<()> {
    if !any_active() || !outputs.iter().any(|o| o.dtype().is_float()) {
        return Ok(());
    }
    STACK.with(|s| {
        let stack = s.borrow();
        let mut make = Some(make);
        let mut built: Option<(Op, Vec<Meta>, Vec<Meta>)> = None;
        // The last matching tape gets the node by move; earlier ones get clones.
        let mut pending: Option<MutexGuard<'_, TapeState>> = None;
        for tape in stack.iter() {
            if !tape.is_recording() {
                continue;
            }
            let st = tape.lock();
            if !inputs
                .iter()
                .any(|t| t.dtype().is_float() && st.tracked.contains(&t.id))
            {
                continue;
            }
            if built.is_none() {
                let op = (make.take().expect("built once"))()?;
                built = Some((
                    op,
                    inputs.iter().map(|t| Meta::of(t)).collect(),
                    outputs.iter().map(|t| Meta::of(t)).collect(),
                ));
            }
            if let Some(mut prev) = pending.replace(st) {
                let (op, ins, outs) = built.as_ref().expect("built");
                push_node(&mut prev, op.clone(), ins.clone(), outs.clone());
            }
        }
        if let (Some(mut st), Some((op, ins, outs))) = (pending, built) {
            push_node(&mut st, op, ins, outs);
        }
        Ok(())
    })
}

fn push_node(st: &mut TapeState, op: Op, inputs: Vec<Meta>, outputs: Vec<Meta>) {
    for o in &outputs {
        if o.dtype.is_float() {
            st.tracked.insert(o.id);
        }
    }
    st.nodes.push(Node {
        op,
        inputs,
        outputs,
    });
}

/// True when recording `inputs` would put a node on some tape (used to pick a composite,
/// differentiable form of an op only when it matters).
pub(crate) fn would_record(inputs: &[&Tracked]) -> bool {
    any_active()
        && STACK.with(|s| {
            s.borrow().iter().any(|t| {
                t.is_recording() && {
                    let st = t.lock();
                    inputs
                        .iter()
                        .any(|x| x.dtype().is_float() && st.tracked.contains(&x.id))
                }
            })
        })
}

/// A trainable variable (id `id`) was read: tapes that watch accessed variables start tracking it.
pub fn variable_read(id: u64, trainable: bool) {
    if !trainable || !any_active() {
        return;
    }
    STACK.with(|s| {
        for t in s.borrow().iter() {
            if t.watch_accessed && t.is_recording() {
                t.lock().read_variable(id);
            }
        }
    });
}

impl TapeState {
    /// Tracks a variable read inside the tape; listed once, in first-read order.
    fn read_variable(&mut self, id: u64) {
        if self.tracked.insert(id) {
            self.watched_vars.push(id);
        }
    }

    /// Tracks an explicitly watched variable.
    fn watch_variable(&mut self, id: u64) {
        self.tracked.insert(id);
        if !self.watched_vars.contains(&id) {
            self.watched_vars.push(id);
        }
    }
}

/// Restores a tape's recording flag when the backward pass ends (even on error).
struct Resume<'a>(&'a Tape, bool);

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        self.0.recording.store(self.1, Ordering::Relaxed);
    }
}

impl Tape {
    /// A new, inactive tape.
    pub fn new(persistent: bool, watch_accessed_variables: bool) -> Arc<Tape> {
        Arc::new(Tape {
            persistent,
            watch_accessed: watch_accessed_variables,
            recording: AtomicBool::new(true),
            state: Mutex::new(TapeState::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, TapeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the tape is persistent.
    pub fn persistent(&self) -> bool {
        self.persistent
    }

    /// Makes the tape active on this thread (entering its `with` block).
    pub fn push(self: &Arc<Self>) -> Result<()> {
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            if s.iter().any(|t| Arc::ptr_eq(t, self)) {
                return Err(Error::Runtime(
                    "GradientTape: this tape is already recording; a tape cannot be entered twice"
                        .into(),
                ));
            }
            s.push(self.clone());
            ACTIVE.with(|a| a.set(s.len()));
            Ok(())
        })
    }

    /// Deactivates the tape (leaving its `with` block). Tapes may exit in any order.
    pub fn pop(self: &Arc<Self>) -> Result<()> {
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            let Some(pos) = s.iter().position(|t| Arc::ptr_eq(t, self)) else {
                return Err(Error::Runtime(
                    "GradientTape: this tape is not recording on this thread".into(),
                ));
            };
            s.remove(pos);
            ACTIVE.with(|a| a.set(s.len()));
            Ok(())
        })
    }

    /// Whether ops are currently recorded (false inside `stop_recording()`).
    pub fn is_recording(&self) -> bool {
        self.recording.load(Ordering::Relaxed)
    }

    /// Pauses (`false`) or resumes (`true`) recording.
    pub fn set_recording(&self, on: bool) {
        self.recording.store(on, Ordering::Relaxed);
    }

    /// Starts tracking a tensor.
    pub fn watch(&self, id: u64) {
        self.lock().tracked.insert(id);
    }

    /// Starts tracking a variable (listed by `watched_variables`).
    pub fn watch_variable(&self, id: u64) {
        self.lock().watch_variable(id);
    }

    /// The ids of the variables watched, in the order they were first watched.
    pub fn watched_variables(&self) -> Vec<u64> {
        self.lock().watched_vars.clone()
    }

    /// Number of recorded nodes.
    pub fn num_nodes(&self) -> usize {
        self.lock().nodes.len()
    }

    /// Forgets everything recorded and watched.
    pub fn reset(&self) {
        let mut st = self.lock();
        *st = TapeState::default();
    }

    /// Gradients of the sum of `targets` (each weighted by its output gradient, ones by default)
    /// with respect to each of `sources`; `None` for sources the targets do not depend on.
    pub fn gradient(
        &self,
        targets: &[Tracked],
        sources: &[Tracked],
        output_gradients: &[Option<Tracked>],
    ) -> Result<Vec<Option<Tracked>>> {
        const OP: &str = "GradientTape.gradient";
        let mut st = self.lock();
        if st.spent {
            return Err(Error::Runtime(
                "A non-persistent GradientTape can only be used to compute one set of gradients. \
                 Use GradientTape(persistent=True) to call gradient() several times."
                    .into(),
            ));
        }
        if !output_gradients.is_empty() && output_gradients.len() != targets.len() {
            return Err(Error::value(
                OP,
                format!(
                    "output_gradients must have the structure of target: {} target(s), received {} \
                     output gradient(s)",
                    targets.len(),
                    output_gradients.len()
                ),
            ));
        }
        for (i, (t, g)) in targets.iter().zip(output_gradients).enumerate() {
            if let Some(g) = g {
                if g.shape() != t.shape() {
                    return Err(Error::value(
                        OP,
                        format!(
                            "output_gradients[{i}] must have the shape of target[{i}]. Received: \
                             output_gradients shape={}, target shape={}",
                            fmt_shape(g.shape()),
                            fmt_shape(t.shape())
                        ),
                    ));
                }
            }
        }
        // Only sources the tape tracks can get a gradient (an unwatched one gets None, even when
        // it is an input of a recorded op).
        let watched: Vec<Tracked> = sources
            .iter()
            .filter(|s| st.tracked.contains(&s.id))
            .cloned()
            .collect();
        let _resume = Resume(self, self.recording.swap(false, Ordering::Relaxed));
        let result = if self.persistent {
            let nodes = std::mem::take(&mut st.nodes);
            drop(st);
            let r = Backward::new(sources, &watched).run(&nodes, targets, output_gradients);
            let mut st = self.lock();
            // Nodes recorded meanwhile (none: the tape is paused) would follow the old ones.
            let newer = std::mem::replace(&mut st.nodes, nodes);
            st.nodes.extend(newer);
            r
        } else {
            let nodes = std::mem::take(&mut st.nodes);
            // Free the record; keep the list of watched variables (tf.GradientTape does).
            *st = TapeState {
                spent: true,
                watched_vars: std::mem::take(&mut st.watched_vars),
                ..TapeState::default()
            };
            drop(st);
            Backward::new(sources, &watched).run_consuming(nodes, targets, output_gradients)
        };
        result
    }
}

/// The state of one backward pass.
struct Backward {
    grads: IdMap<Tracked>,
    sources: IdSet,
    reach: IdSet,
    src: Vec<Meta>,
}

impl Backward {
    fn new(sources: &[Tracked], watched: &[Tracked]) -> Self {
        let ids: IdSet = watched.iter().map(|s| s.id).collect();
        Backward {
            grads: IdMap::default(),
            reach: ids.clone(),
            sources: ids,
            src: sources.iter().map(Meta::of).collect(),
        }
    }

    /// Marks every tensor that depends on a source (a forward sweep over the arena).
    fn mark_reach(&mut self, nodes: &[Node]) {
        for n in nodes {
            if n.inputs
                .iter()
                .any(|m| m.dtype.is_float() && self.reach.contains(&m.id))
            {
                for o in &n.outputs {
                    if o.dtype.is_float() {
                        self.reach.insert(o.id);
                    }
                }
            }
        }
    }

    fn seed(&mut self, targets: &[Tracked], output_gradients: &[Option<Tracked>]) -> Result<()> {
        for (i, t) in targets.iter().enumerate() {
            if !t.dtype().is_float() || !self.reach.contains(&t.id) {
                continue;
            }
            let g = match output_gradients.get(i).and_then(|g| g.as_ref()) {
                Some(g) => ops::cast(g, t.dtype())?,
                None => Tracked::new(Tensor::ones(t.shape(), t.dtype())),
            };
            self.accumulate(t.id, t.dtype(), g)?;
        }
        Ok(())
    }

    fn accumulate(&mut self, id: u64, dtype: DType, g: Tracked) -> Result<()> {
        let g = if matches!(dtype, DType::F16 | DType::BF16) {
            ops::cast(&g, DType::F32)?
        } else {
            g
        };
        match self.grads.remove(&id) {
            None => {
                self.grads.insert(id, g);
            }
            Some(old) => {
                let sum = ops::add_grads(old, &g)?;
                self.grads.insert(id, sum);
            }
        }
        Ok(())
    }

    fn take(&mut self, id: u64) -> Option<Tracked> {
        if self.sources.contains(&id) {
            self.grads.get(&id).cloned()
        } else {
            self.grads.remove(&id)
        }
    }

    fn step(&mut self, node: &Node) -> Result<()> {
        let needs: Vec<bool> = node
            .inputs
            .iter()
            .map(|m| m.dtype.is_float() && self.reach.contains(&m.id))
            .collect();
        if !needs.iter().any(|&b| b) {
            return Ok(());
        }
        let mut gouts: Vec<Option<Tracked>> = Vec::with_capacity(node.outputs.len());
        for o in &node.outputs {
            gouts.push(match self.take(o.id) {
                Some(g) if g.dtype() != o.dtype => Some(ops::cast(&g, o.dtype)?),
                g => g,
            });
        }
        if gouts.iter().all(|g| g.is_none()) {
            return Ok(());
        }
        let gins = backward::backward(&node.op, &node.inputs, &node.outputs, &gouts, &needs)?;
        for ((m, g), need) in node.inputs.iter().zip(gins).zip(&needs) {
            let (Some(g), true) = (g, *need) else {
                continue;
            };
            if g.shape() != m.shape.as_slice() {
                return Err(Error::Internal(format!(
                    "backward of {}: gradient shape {} for an input of shape {}",
                    node.op.name(),
                    fmt_shape(g.shape()),
                    fmt_shape(&m.shape)
                )));
            }
            self.accumulate(m.id, m.dtype, g)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<Option<Tracked>>> {
        let src = std::mem::take(&mut self.src);
        src.iter()
            .map(|m| match self.grads.get(&m.id) {
                None => Ok(None),
                Some(g) if g.dtype() != m.dtype && m.dtype.is_float() => {
                    Ok(Some(ops::cast(g, m.dtype)?))
                }
                Some(g) => Ok(Some(g.clone())),
            })
            .collect()
    }

    fn run(
        mut self,
        nodes: &[Node],
        targets: &[Tracked],
        output_gradients: &[Option<Tracked>],
    ) -> Result<Vec<Option<Tracked>>> {
        self.mark_reach(nodes);
        self.seed(targets, output_gradients)?;
        for node in nodes.iter().rev() {
            if self.grads.is_empty() {
                break;
            }
            self.step(node)?;
        }
        self.finish()
    }

    fn run_consuming(
        mut self,
        mut nodes: Vec<Node>,
        targets: &[Tracked],
        output_gradients: &[Option<Tracked>],
    ) -> Result<Vec<Option<Tracked>>> {
        self.mark_reach(&nodes);
        self.seed(targets, output_gradients)?;
        // Each node (and every tensor it saved) is dropped as soon as its backward has run.
        while let Some(node) = nodes.pop() {
            if self.grads.is_empty() {
                break;
            }
            self.step(&node)?;
        }
        drop(nodes);
        self.finish()
    }
}

#[cfg(test)]
mod tests;
