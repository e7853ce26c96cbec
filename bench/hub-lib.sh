# hub-lib.sh - what the hub benches share (sourced).
# hub_kubeconfig FILE PORT: the hub's kubeconfig toward the test apiserver
# on 127.0.0.1:PORT, with the node's certificate from pki/ beside FILE.
hub_kubeconfig() {
    cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$2", certificate-authority: pki/ca.crt}}]
users: [{name: u, user: {client-certificate: pki/node.crt, client-key: pki/node.key}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
KC
}
