/work/main/build/obj/common/nl_socket.o: /work/main/common/nl_socket.cpp \
 /work/main/common/nl_socket.h
/work/main/common/nl_socket.h:
