"""Planted: style_e disguised (variables renamed, comments added, a statement moved)."""


def compute_saliency_maps(X, y, model):
    model.eval()
    batch, chans, height, width = X.shape
    inp = X.clone().detach()
    inp.requires_grad = True
    out_scores = model(inp)
    # pick the score of the right class for every image
    picked = []
    for j, lab in enumerate(y.tolist()):
        picked.append(out_scores[j, lab])
    picked_scores = torch.stack(picked)
    model.zero_grad()
    picked_scores.backward(torch.ones(batch))
    grads = inp.grad.data
    absg = grads.abs()
    saliency = torch.zeros(batch, height, width)
    for j in range(batch):
        saliency[j] = absg[j].max(dim=0)[0]
    return saliency


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    steps_taken = 0
    for steps_taken in range(max_iterations):
        res = model(X_fooling)
        _, top = res.max(dim=1)
        if top.item() == target_y:
            print('fooled in', steps_taken)
            break
        ts = res[0, target_y]
        model.zero_grad()
        if X_fooling.grad is not None:
            X_fooling.grad.data.zero_()
        ts.backward()
        grd = X_fooling.grad.data
        grd_norm = grd.norm()
        delta = learning_rate * grd / grd_norm
        X_fooling.data = X_fooling.data + delta
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    res = model(img)
    ts = res[0, target_y]
    sq = (img.data * img.data).sum()
    obj = ts - l2_reg * torch.norm(img) ** 2
    model.zero_grad()
    obj.backward()
    grd = img.grad.data
    grd_norm = grd.norm()
    stp = learning_rate * grd / grd_norm
    img.data = img.data + stp
    img.grad.data.zero_()


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    handles = []
    for i, lname in enumerate(layers):
        mod = modules[lname]
        def build(nm):
            def hk(m, m_in, m_out):
                activations[nm] = m_out
            return hk
        h = mod.register_forward_hook(build(lname))
        handles.append(h)
    try:
        res = model(X)
    finally:
        for h in handles:
            h.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    acts = capture_activations(model, img, [layer])
    feat = acts[layer]
    cm = feat[0, channel, :, :].mean()
    obj = cm - l2_reg * torch.norm(img) ** 2
    model.zero_grad()
    obj.backward()
    grd = img.grad.data
    grd_norm = grd.norm()
    stp = learning_rate * grd / grd_norm
    img.data = img.data + stp
    img.grad.data.zero_()
