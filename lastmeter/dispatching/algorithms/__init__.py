"""Pure dispatching algorithms (no Django): nearest available units by road travel time."""
