//! The operation families' variants, shared by kernels, the runtime and the CPU reference.

/// Elementwise functions of one float argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// `e^x`
    Exp,
    /// natural logarithm
    Log,
    /// square root
    Sqrt,
    /// `1 / sqrt(x)`
    Rsqrt,
    /// hyperbolic tangent
    Tanh,
    /// `max(x, 0)`
    Relu,
    /// GELU, exact form `x/2 * (1 + erf(x / sqrt 2))`
    GeluErf,
    /// GELU, tanh approximation `x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`
    GeluTanh,
    /// SiLU / swish, `x * sigmoid(x)`
    Silu,
    /// logistic sigmoid `1 / (1 + e^-x)`
    Sigmoid,
    /// the error function `erf(x)`
    Erf,
}

impl UnaryOp {
    /// Every unary op, for tests and tables.
    pub const ALL: [UnaryOp; 13] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Tanh,
        UnaryOp::Relu,
        UnaryOp::GeluErf,
        UnaryOp::GeluTanh,
        UnaryOp::Silu,
        UnaryOp::Sigmoid,
        UnaryOp::Erf,
    ];

    /// Short lower-case name, used in kernel keys.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Relu => "relu",
            UnaryOp::GeluErf => "gelu_erf",
            UnaryOp::GeluTanh => "gelu_tanh",
            UnaryOp::Silu => "silu",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Erf => "erf",
        }
    }
}

/// Elementwise functions of two float arguments, with numpy broadcasting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `max(a, b)`
    Max,
    /// `min(a, b)`
    Min,
    /// `a ^ b`
    Pow,
    /// `silu(a) * b`: the gated linear unit of Llama-style MLPs.
    SiluMul,
    /// `a < b` as 1.0 or 0.0 (false when either is NaN)
    Less,
    /// `a > b` as 1.0 or 0.0
    Greater,
    /// `a <= b` as 1.0 or 0.0
    LessEqual,
    /// `a >= b` as 1.0 or 0.0
    GreaterEqual,
    /// `a == b` as 1.0 or 0.0
    Equal,
}

impl BinaryOp {
    /// Every binary op, for tests and tables.
    pub const ALL: [BinaryOp; 13] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Pow,
        BinaryOp::SiluMul,
        BinaryOp::Less,
        BinaryOp::Greater,
        BinaryOp::LessEqual,
        BinaryOp::GreaterEqual,
        BinaryOp::Equal,
    ];

    /// Short lower-case name, used in kernel keys.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
            BinaryOp::Pow => "pow",
            BinaryOp::SiluMul => "silu_mul",
            BinaryOp::Less => "less",
            BinaryOp::Greater => "greater",
            BinaryOp::LessEqual => "less_equal",
            BinaryOp::GreaterEqual => "greater_equal",
            BinaryOp::Equal => "equal",
        }
    }
}

/// Reductions along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// sum
    Sum,
    /// arithmetic mean
    Mean,
    /// maximum
    Max,
    /// minimum
    Min,
    /// index of the maximum (first one on ties), as `u32`
    ArgMax,
}

impl ReduceOp {
    /// Every reduction, for tests and tables.
    pub const ALL: [ReduceOp; 5] = [
        ReduceOp::Sum,
        ReduceOp::Mean,
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::ArgMax,
    ];

    /// Short lower-case name, used in kernel keys.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::ArgMax => "argmax",
        }
    }
}

/// Row normalisations along the last axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NormKind {
    /// `(x - mean) / sqrt(var + eps) * w + b`
    Layer,
    /// `x / sqrt(mean(x^2) + eps) * w`
    Rms,
}

impl NormKind {
    /// Both norms.
    pub const ALL: [NormKind; 2] = [NormKind::Layer, NormKind::Rms];

    /// Short lower-case name, used in kernel keys.
    pub fn name(self) -> &'static str {
        match self {
            NormKind::Layer => "layer",
            NormKind::Rms => "rms",
        }
    }
}
