//! When each value of a graph dies: the last node that reads it (or, for a
//! value nothing reads, the node that makes it). The runner drops a value
//! right after that node, so the device's buffer pool reuses its memory for
//! the next intermediate and a long chain holds about two at a time.

use super::graph::Graph;
use std::collections::{HashMap, HashSet};

/// For each node index, the values to drop after it runs. Graph outputs are
/// never dropped; graph inputs are dropped after their last reader like any
/// intermediate (the caller may still hold its own handle).
#[cfg(test)]
pub(crate) fn dead_after(graph: &Graph) -> Vec<Vec<String>> {
    let order: Vec<usize> = (0..graph.nodes.len()).collect();
    dead_after_at(graph, &order)
}

/// [`dead_after`] when node `i` runs at step `at[i]` (a fused group's
/// members run at its root's step): a value dies after the last step that
/// reads it.
pub(crate) fn dead_after_at(graph: &Graph, at: &[usize]) -> Vec<Vec<String>> {
    let outputs: HashSet<&str> = graph.outputs.iter().map(|o| o.name.as_str()).collect();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        for name in node.outputs.iter().chain(&node.inputs) {
            if !name.is_empty() {
                let step = last.entry(name).or_insert(at[i]);
                *step = (*step).max(at[i]);
            }
        }
    }
    let mut dead = vec![Vec::new(); graph.nodes.len()];
    for (name, i) in last {
        if !outputs.contains(name) {
            dead[i].push(name.to_string());
        }
    }
    for list in &mut dead {
        list.sort();
    }
    dead
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::graph::{build_graph, decode_model};
    use crate::onnx::proto::{
        GraphProto, ModelProto, NodeProto, OperatorSetIdProto, ValueInfoProto,
    };
    use prost::Message;

    fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn value(name: &str) -> ValueInfoProto {
        ValueInfoProto {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn each_value_dies_after_its_last_reader() {
        // a = relu(x); b = a + x; m (unread) and c = dropout(b); y = c + a
        let m = ModelProto {
            ir_version: Some(8),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(17),
            }],
            graph: Some(GraphProto {
                node: vec![
                    node("Relu", &["x"], &["a"]),
                    node("Add", &["a", "x"], &["b"]),
                    node("Dropout", &["b"], &["c", "m"]),
                    node("Add", &["c", "a"], &["y"]),
                ],
                input: vec![value("x")],
                output: vec![value("y")],
                ..Default::default()
            }),
            ..Default::default()
        };
        let g = build_graph(&decode_model(&m.encode_to_vec()).unwrap(), None).unwrap();
        let dead = dead_after(&g);
        assert_eq!(
            dead,
            vec![vec![], vec!["x"], vec!["b", "m"], vec!["a", "c"]]
        );
    }
}
