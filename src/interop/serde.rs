//! `Serialize` and `Deserialize` (feature `serde`).
//!
//! Deserialising goes through the constructors' checks: a matrix whose data
//! does not fill its shape, layers that do not chain, a non-finite weight,
//! a λ out of range or a scaling that divides by zero is an error of the
//! deserialiser, never an invalid value.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::activation::Activation;
use crate::cost::Cost;
use crate::data::scaling::Columns;
use crate::data::{DataSet, Scale, Scaling};
use crate::matrix::Matrix;
use crate::net::{Network, TwoLayerNet};

/// Serialises `$T` as `$Repr` and deserialises through `$Repr`'s
/// `TryFrom`, whose error becomes the deserialiser's.
macro_rules! through {
    ($T:ty, $Repr:ty) => {
        impl Serialize for $T {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$Repr>::from(self).serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for $T {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$T>::try_from(<$Repr>::deserialize(deserializer)?).map_err(D::Error::custom)
            }
        }
    };
}

#[derive(Serialize, Deserialize)]
#[serde(rename = "Matrix", deny_unknown_fields)]
struct MatrixRepr {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl From<&Matrix> for MatrixRepr {
    fn from(m: &Matrix) -> Self {
        MatrixRepr {
            rows: m.rows(),
            cols: m.cols(),
            data: m.as_slice().to_vec(),
        }
    }
}

impl TryFrom<MatrixRepr> for Matrix {
    type Error = crate::Error;

    fn try_from(r: MatrixRepr) -> Result<Self, Self::Error> {
        Matrix::new(r.rows, r.cols, r.data)
    }
}

through!(Matrix, MatrixRepr);

#[derive(Serialize, Deserialize)]
#[serde(rename = "Cost", rename_all = "kebab-case", deny_unknown_fields)]
enum CostRepr {
    SumOfSquares,
    Regularised { lambda: f64 },
    CrossEntropy,
    RegularisedCrossEntropy { lambda: f64 },
}

impl From<&Cost> for CostRepr {
    fn from(c: &Cost) -> Self {
        match *c {
            Cost::SumOfSquares => CostRepr::SumOfSquares,
            Cost::Regularised { lambda } => CostRepr::Regularised { lambda },
            Cost::CrossEntropy => CostRepr::CrossEntropy,
            Cost::RegularisedCrossEntropy { lambda } => {
                CostRepr::RegularisedCrossEntropy { lambda }
            }
        }
    }
}

impl TryFrom<CostRepr> for Cost {
    type Error = crate::Error;

    fn try_from(r: CostRepr) -> Result<Self, Self::Error> {
        match r {
            CostRepr::SumOfSquares => Ok(Cost::SumOfSquares),
            CostRepr::Regularised { lambda } => Cost::Regularised { lambda }.validated(),
            CostRepr::CrossEntropy => Ok(Cost::CrossEntropy),
            CostRepr::RegularisedCrossEntropy { lambda } => {
                Cost::RegularisedCrossEntropy { lambda }.validated()
            }
        }
    }
}

through!(Cost, CostRepr);

#[derive(Serialize, Deserialize)]
#[serde(rename = "Layer", deny_unknown_fields)]
struct LayerRepr {
    weights: Matrix,
    #[serde(default)]
    bias: Option<Matrix>,
    #[serde(default)]
    activation: Activation,
}

#[derive(Serialize, Deserialize)]
#[serde(rename = "Network", deny_unknown_fields)]
struct NetworkRepr {
    layers: Vec<LayerRepr>,
    #[serde(default)]
    cost: Cost,
}

impl From<&Network> for NetworkRepr {
    fn from(net: &Network) -> Self {
        NetworkRepr {
            layers: net
                .layers()
                .iter()
                .map(|l| LayerRepr {
                    weights: l.weights.clone(),
                    bias: l.bias.clone(),
                    activation: l.activation,
                })
                .collect(),
            cost: net.cost_function(),
        }
    }
}

impl TryFrom<NetworkRepr> for Network {
    type Error = crate::Error;

    fn try_from(r: NetworkRepr) -> Result<Self, Self::Error> {
        let layers = r
            .layers
            .into_iter()
            .map(|l| (l.weights, l.bias, l.activation))
            .collect();
        Network::assemble(layers, r.cost)
    }
}

through!(Network, NetworkRepr);

impl Serialize for TwoLayerNet {
    /// As the two-layer [`Network`] it is.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.network().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TwoLayerNet {
    /// A [`Network`] of two sigmoid layers without biases.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let net = Network::deserialize(deserializer)?;
        TwoLayerNet::from_network(net).map_err(|(_, reason)| D::Error::custom(reason))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename = "DataSet", deny_unknown_fields)]
struct DataSetRepr {
    x: Matrix,
    y: Matrix,
}

impl From<&DataSet> for DataSetRepr {
    fn from(d: &DataSet) -> Self {
        DataSetRepr {
            x: d.x.clone(),
            y: d.y.clone(),
        }
    }
}

impl TryFrom<DataSetRepr> for DataSet {
    type Error = crate::Error;

    fn try_from(r: DataSetRepr) -> Result<Self, Self::Error> {
        DataSet::new(r.x, r.y)
    }
}

through!(DataSet, DataSetRepr);

#[derive(Serialize, Deserialize)]
#[serde(rename = "Columns", deny_unknown_fields)]
struct ColumnsRepr {
    scale: Scale,
    shift: Vec<f64>,
    divisor: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename = "Scaling", deny_unknown_fields)]
struct ScalingRepr {
    x: ColumnsRepr,
    y: ColumnsRepr,
}

impl From<&Scaling> for ScalingRepr {
    fn from(s: &Scaling) -> Self {
        let side = |c: &Columns| ColumnsRepr {
            scale: c.scale,
            shift: c.shift.clone(),
            divisor: c.divisor.clone(),
        };
        ScalingRepr {
            x: side(&s.x),
            y: side(&s.y),
        }
    }
}

impl TryFrom<ScalingRepr> for Scaling {
    type Error = String;

    fn try_from(r: ScalingRepr) -> Result<Self, String> {
        let side = |name: &str, c: ColumnsRepr| {
            if c.shift.len() != c.divisor.len() {
                return Err(format!("{name}: one shift and one divisor per column"));
            }
            Columns {
                scale: c.scale,
                shift: c.shift,
                divisor: c.divisor,
            }
            .validated()
            .map_err(|(_, reason)| format!("{name}: {reason}"))
        };
        Ok(Scaling {
            x: side("x", r.x)?,
            y: side("y", r.y)?,
        })
    }
}

through!(Scaling, ScalingRepr);
