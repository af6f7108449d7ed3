// Drag a menu button onto another of the same row (top level) or column (one sub-menu): the page posts that
// group's new order, as the old positions, to /console/menu/reorder. The arrow buttons do the same by keyboard.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("reorder-form");
  if (!form) return;
  let dragged = null;
  document.querySelectorAll("[data-drag-group]").forEach((el) => {
    el.setAttribute("draggable", "true");
    el.addEventListener("dragstart", (event) => {
      event.stopPropagation();
      dragged = el;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", el.dataset.pos);
    });
    el.addEventListener("dragover", (event) => {
      if (dragged && dragged !== el && dragged.dataset.dragGroup === el.dataset.dragGroup) event.preventDefault();
    });
    el.addEventListener("drop", (event) => {
      event.preventDefault();
      event.stopPropagation();
      if (!dragged || dragged === el || dragged.dataset.dragGroup !== el.dataset.dragGroup) return;
      const group = el.dataset.dragGroup;
      const order = [...document.querySelectorAll(`[data-drag-group="${group}"]`)].map((item) => Number(item.dataset.pos));
      const from = order.indexOf(Number(dragged.dataset.pos));
      const to = order.indexOf(Number(el.dataset.pos));
      order.splice(to, 0, order.splice(from, 1)[0]);
      form.elements.group.value = group;
      form.elements.order.value = order.join(",");
      form.submit();
    });
  });
});
